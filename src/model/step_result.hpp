#pragma once
// The outcome of one simulated training step, with the output columns of shared/DESIGN.md.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/chrome_trace.hpp"
#include "moe/phase.hpp"
#include "model/memory.hpp"
#include "units/units.hpp"

namespace switchsim::model {

// Phase categories of the task graph; each becomes a <phase>_time_s column (moe/phase.hpp).
using moe::kStepPhases;

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
  // The auxiliary loss alpha N sum f_i P_i (Switch eq. 4), only when a trace gives P_i; and
  // alpha N sum f_i^2 always (a load-imbalance measure, not the loss). Means over sampled groups.
  std::optional<double> aux_loss;
  double aux_loss_proxy = 0;
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
