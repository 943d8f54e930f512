#pragma once
// A training run of N steps. With a routing trace, step s routes as the trace's step
// s mod S (every trace step in order, the trace repeated when the run is longer), counts as
// given; each of the min(N, S) distinct steps is simulated and weighted by how often it
// occurs. With a sampled routing (uniform, zipf, hot) or a dense model, the steps are
// statistically the same: one step is simulated and stands for all N.

#include <cstdint>
#include <vector>

#include "model/comm_model.hpp"
#include "model/simulate.hpp"
#include "model/step_inputs.hpp"
#include "model/step_result.hpp"

namespace switchsim::model {

struct RunResult {
  std::int64_t steps = 0;                 // N
  std::vector<StepResult> distinct;       // the simulated steps, in order (step index = position)
  std::vector<std::int64_t> occurrences;  // how many of the N steps each stands for (sum N)
  StepResult mean;                        // occurrence-weighted means of the per-step values
  Picoseconds run_time{0};                // sum over the N steps (checked: OverflowError)
};

// Throws std::invalid_argument as simulate_step does, and for steps < 1. `progress` gets each
// distinct step's stages (prefixed "step s of D: " when there are several).
RunResult simulate_run(const StepInputs& inputs, CommModel& comm, std::int64_t steps, bool record_trace = false,
                       const StepProgress& progress = {});

}  // namespace switchsim::model
