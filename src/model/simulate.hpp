#pragma once
// One Switch Transformer training step as a task graph on the engine.
//
// Devices run the same program in lockstep, and every Switch layer's all-to-all synchronizes
// its group, so the step is simulated on one representative "critical" device whose each
// phase takes the time of the slowest device in that phase (e.g. the device hosting the
// hottest experts under dropless routing). Collectives are timed over every group of the
// cluster at once by a CommModel, so contention between groups is in the collective's time.
// Stated simplifications: per-expert loads are sampled once per stack and step and reused
// for its Switch layers; drop statistics come from up to 256 sampled device groups.
// Four stages: plan_step (step_plan.hpp: token split, layers, plan_switch_layer per stack),
// build_step_graph (step_graph.hpp), then running the graph and the step's metrics (here).

#include <functional>
#include <string_view>

#include "engine/task_graph.hpp"
#include "model/comm_model.hpp"
#include "model/step_inputs.hpp"
#include "model/step_result.hpp"

namespace switchsim::model {

class SampledCountsCache;  // sampled_counts.hpp

// Progress of a step, for a caller's display: the stage running (kStageAlone, then
// kStageShared when the step is co-simulated) and its tasks finished of total.
using StepProgress = std::function<void(std::string_view stage, std::int64_t finished, std::int64_t total)>;
inline constexpr std::string_view kStageAlone = "each collective timed alone";
inline constexpr std::string_view kStageShared = "co-simulating the shared network";

// Throws std::invalid_argument for inconsistent inputs (layout, batch split, capacity).
// `sampled_counts`: a search's reuse of sampled routing loads across points (plan_step).
StepResult simulate_step(const StepInputs& inputs, CommModel& comm, bool record_trace = false,
                         SampledCountsCache* sampled_counts = nullptr, const StepProgress& progress = {});

}  // namespace switchsim::model
