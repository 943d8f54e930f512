#pragma once
// The contract between the reference implementations (ref/cpu, ref/cuda), `switchsim measure`
// and `switchsim validate`: what layer was run, and how long each phase took.
// Column names follow shared/DESIGN.md: inputs as given, outputs with units in their names,
// measured phases as measured_<phase>_time_s (forward + backward of that phase).

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace switchsim::ref {

// One Switch layer as the reference runs it. Tokens are per rank (device).
struct LayerSpec {
  std::string target = "cpu";  // cpu or cuda
  std::int64_t ranks = 1;
  std::int64_t experts = 8;
  double capacity_factor = 1.0;
  std::int64_t tokens_per_rank = 1024;
  std::int64_t d_model = 256;
  std::int64_t d_ff = 1024;
  std::string ffn = "relu";         // relu or geglu
  std::int64_t top_k = 1;
  std::string padding = "capacity";  // capacity (MPI_Alltoall of [E, C, d]) or dropless (Alltoallv)
  std::string dtype = "fp32";        // fp32 (cpu), bf16 (cuda)
  std::string router_dtype = "fp32";
  std::string routing = "uniform";   // uniform, zipf:S, hot:FRAC
  std::uint64_t seed = 1;
  std::int64_t min_capacity = 4;
  bool backward = true;
  bool aux_loss = true;
};

// Phases of a Switch layer, in execution order (forward; backward runs them in reverse).
inline constexpr std::array<std::string_view, 6> kLayerPhases{"router",          "dispatch",        "alltoall_dispatch",
                                                              "expert_ffn",      "alltoall_combine", "combine"};

// Robust statistics of repeated timings, in seconds.
struct TimingStats {
  double median_s = 0;
  double p10_s = 0;
  double p90_s = 0;
  std::int64_t repeats = 0;
};

struct LayerMeasurement {
  LayerSpec spec;
  std::int64_t capacity = 0;  // C, tokens per expert per rank's group
  double dropped_token_frac = 0;
  double aux_loss = 0;
  std::map<std::string, TimingStats> phases;  // keyed by kLayerPhases entries
  TimingStats forward;
  TimingStats backward;
  TimingStats step;  // forward + backward of the layer
};

nlohmann::json to_json(const LayerSpec& spec);
// One flat row: the spec's fields, capacity, dropped_token_frac, aux_loss,
// measured_<phase>_time_s (+ _p10, _p90), measured_forward_time_s, measured_backward_time_s,
// measured_step_time_s (+ _p10, _p90), repeats.
nlohmann::json to_row(const LayerMeasurement& m);

}  // namespace switchsim::ref
