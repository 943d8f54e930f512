#pragma once
// Memory per device before simulating: the same model::memory_per_device the simulator
// uses, fed with a MemoryShape derived from the inputs alone (no routing sample, no task
// graph). With capacity padding every Switch layer's rows are fixed by the capacity,
//   rows received = E/ep local experts x ep senders x C = E x C,  all-to-all bytes = E x C x d x b,
// (C = model::device_capacity: G x C per group with einsum dispatch, whose [G,S,E,C] masks
// are counted too), so the figure is exact. Dropless rows depend on the sampled routing: the most loaded
// member receives at least the mean, T x k rows, so the figure is a lower bound (the
// all-to-all bytes, T x k x d x b per sender, stay exact). A point whose bound exceeds the
// allowed memory is therefore out of memory for sure and needs no simulation.

#include "model/memory.hpp"
#include "model/step_inputs.hpp"

namespace switchsim::advise {

struct MemoryEstimate {
  model::MemoryBreakdown memory;
  bool exact = true;  // false: a lower bound (dropless padding)
};

// Throws std::invalid_argument when the batch does not split (model::token_shape).
MemoryEstimate memory_before_simulating(const model::StepInputs& inputs);

}  // namespace switchsim::advise
