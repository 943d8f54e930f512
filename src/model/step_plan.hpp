#pragma once
// Internal to model/: the first stage of simulate_step. Everything about a step that does not
// need the device or the network: the token split, the layer list with parameter counts, and
// each stack's Switch-layer plan (plan_switch_layer), and the memory footprint's shape.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/memory.hpp"
#include "model/step_inputs.hpp"
#include "model/switch_plan.hpp"

namespace switchsim::model {

struct LayerPlan {
  std::string name;
  bool decoder = false;
  bool sparse = false;
  std::int64_t dense_params = 0;   // non-expert parameters of the layer (whole, before tp split)
  std::int64_t expert_params = 0;  // per expert
};

struct StepPlan {
  TokenShape shape;
  std::optional<SwitchPlan> encoder;  // MoE models: the encoder stack's Switch layers
  std::optional<SwitchPlan> decoder;  // and the decoder's (when it has layers)
  std::vector<LayerPlan> layers;      // encoder then decoder
};

// Validates the inputs (layout, microbatches, batch split; std::invalid_argument) and plans
// the step. Per-expert loads are sampled once per stack and step (seeded by inputs.seed and
// inputs.step) and reused for its Switch layers; drop statistics come from up to 256 groups.
// `sampled_counts`: where a search keeps sampled routing loads to reuse across its points
// (exact, sampled_counts.hpp; not an input of the result); none draws every time.
StepPlan plan_step(const StepInputs& inputs, SampledCountsCache* sampled_counts = nullptr);

// What memory_per_device needs from the plan.
MemoryShape memory_shape(const StepInputs& inputs, const StepPlan& plan);

}  // namespace switchsim::model
