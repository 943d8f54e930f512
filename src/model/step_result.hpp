#pragma once
// The outcome of one simulated training step, with the output columns of shared/DESIGN.md.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/chrome_trace.hpp"
#include "model/memory.hpp"
#include "units/units.hpp"

namespace switchsim::model {

// Phase categories of the task graph; each becomes a <phase>_time_s column.
inline constexpr std::array<std::string_view, 13> kStepPhases{
    "embedding", "attention",        "dense_ffn", "router",    "dispatch",     "alltoall_dispatch", "expert_ffn",
    "alltoall_combine", "combine",   "mp_allreduce", "allreduce", "optimizer", "other"};

struct StepResult {
  Picoseconds step_time{0};
  // Busy time per phase on the critical device; communication that overlaps compute counts
  // in full here, so phases may add up to more than the step (see overlap_hidden_time).
  std::map<std::string, Picoseconds> phase_time;
  Picoseconds overlap_hidden_time{0};
  // Forward work redone in the backward under remat (remat.hpp), counted in its phases too.
  Picoseconds recompute_time{0};
  double tokens_per_s = 0;    // (encoder + decoder tokens) per second
  double examples_per_s = 0;  // sequences per second
  double mfu = 0;             // model FLOPs (3 x forward) / (step time x devices x peak)
  double dropped_token_frac = 0;
  double aux_loss = 0;
  std::int64_t capacity_encoder = 0;  // expert capacity C per device group
  std::int64_t capacity_decoder = 0;
  std::int64_t sequences_per_step = 0;
  double model_flops_per_step = 0;
  MemoryBreakdown memory;
  std::int64_t tasks = 0;
  std::vector<engine::TraceSpan> trace;  // filled only when asked for
};

// Output columns (units in names), without the inputs.
nlohmann::json to_json(const StepResult& r);

}  // namespace switchsim::model
