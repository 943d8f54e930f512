#pragma once
// Memory per device for one training step. Weights are kept as fp32 masters plus a
// compute-dtype copy; gradients in fp32; optimizer states per Optimizer; activations of one
// microbatch saved for the backward pass (no recomputation); the all-to-all send and
// receive buffers of one Switch layer.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/step_inputs.hpp"
#include "units/units.hpp"

namespace switchsim::model {

struct MemoryBreakdown {
  Bytes weights;
  Bytes gradients;
  Bytes optimizer_states;
  Bytes activations;
  Bytes alltoall_buffers;
  Bytes capacity;  // the device's memory
  std::int64_t params_local = 0;

  Bytes total() const { return weights + gradients + optimizer_states + activations + alltoall_buffers; }
  bool oom() const { return total() > capacity; }
};

struct MemoryShape {
  std::int64_t params_dense = 0;       // non-expert parameters (whole model)
  std::int64_t params_expert = 0;      // all experts' parameters (whole model)
  std::int64_t encoder_tokens = 0;     // per device per microbatch
  std::int64_t decoder_tokens = 0;
  std::int64_t sequences = 0;
  std::int64_t expert_slots_encoder = 0;  // rows the local experts process per Switch layer
  std::int64_t expert_slots_decoder = 0;
  std::int64_t alltoall_bytes = 0;      // bytes one device sends in one Switch all-to-all
};

MemoryBreakdown memory_per_device(const StepInputs& inputs, const MemoryShape& shape);
nlohmann::json to_json(const MemoryBreakdown& m);

}  // namespace switchsim::model
