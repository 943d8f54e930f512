#pragma once
// Runs a SwitchLayer repeatedly and measures it: the entry point for `switchsim measure` and
// for `switchsim validate`. Collective: every rank of `comm` must call it with the same
// arguments; every rank gets the same result.

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "ref/measurement.hpp"

namespace switchsim::ref::cpu {

struct RunOptions {
  std::int64_t warmup = 2;   // untimed iterations first
  std::int64_t repeats = 10;  // timed iterations (forward + backward each)
};

struct CpuRunResult {
  LayerMeasurement measurement;  // phases: max over ranks per iteration, then median/p10/p90
  std::vector<std::int64_t> expert_tokens;  // tokens whose first choice was each expert, all ranks
  std::int64_t dropped_assignments = 0;     // all ranks, last iteration (the inputs do not change)
};

// Inputs: x ~ N(0, 1) from (seed, rank), upstream gradient ~ N(0, 1) likewise; the same each
// iteration. Throws std::invalid_argument for a spec validate_spec rejects or whose ranks do
// not match the communicator.
CpuRunResult run_layer(const LayerSpec& spec, const RunOptions& options, MPI_Comm comm);

// Correctness of the distributed layer: runs forward + backward on `comm` and, on every rank,
// the same tokens through a 1-rank layer holding all E experts (MPI_COMM_SELF; same weights,
// routing and capacity), and returns the largest absolute difference over all ranks of the
// outputs, input gradients, router gradients and expert weight gradients (the 1-rank
// layers' expert gradients summed over ranks). Collective.
double distributed_vs_local_max_diff(const LayerSpec& spec, MPI_Comm comm);

}  // namespace switchsim::ref::cpu
