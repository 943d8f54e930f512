#pragma once
// Memory per device for one training step. Weights are kept as fp32 masters plus a
// compute-dtype copy; gradients in fp32; optimizer states per Optimizer; activations of one
// microbatch saved for the backward pass under the step's remat policy (remat.hpp); the
// all-to-all send and receive buffers of one Switch layer. A point out of memory says what
// would fit: the first of remat attention, remat full, then 2, 4, ... times the microbatches
// (each remat policy in turn; activations and buffers shrink with the microbatch).

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
  // When out of memory: what would fit ("--remat full", "--microbatches 4 --remat attention"),
  // or a sentence saying nothing tried fits. Empty when it fits.
  std::string fit_hint;

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
  std::int64_t mask_elements_encoder = 0;  // einsum dispatch: elements of one [G,S,E,C] mask
  std::int64_t mask_elements_decoder = 0;
};

MemoryBreakdown memory_per_device(const StepInputs& inputs, const MemoryShape& shape);
nlohmann::json to_json(const MemoryBreakdown& m);

}  // namespace switchsim::model
