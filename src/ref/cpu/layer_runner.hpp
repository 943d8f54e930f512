#pragma once
// Runs a SwitchLayer repeatedly and measures it: the entry point for `switchsim measure` and
// for `switchsim validate`. Collective: every rank of `comm` must call it with the same
// arguments; every rank gets the same result.

#include <mpi.h>

#include <array>
#include <cstdint>
#include <memory>
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
  // Assignments (all top_k choices, before capacity drops) to each expert, all ranks: the load a
  // model must be given to describe the same layer (validate's skewed configs).
  std::vector<std::int64_t> expert_assignments;
  std::int64_t dropped_assignments = 0;     // all ranks, last iteration (the inputs do not change)
};

class SwitchLayer;

// Several layers measured in interleaved rounds: a round runs one iteration (forward +
// backward) of every layer in turn. On a machine whose speed drifts over seconds (a shared VM),
// each layer's samples then spread over the whole run instead of one stretch of it, so every
// layer (and anything else interleaved with the rounds, such as a calibration) sees the same
// mix of fast and slow periods. Collective: every rank of `comm` makes the same calls.
// Inputs: x ~ N(0, 1) from (seed, rank), upstream gradient ~ N(0, 1) likewise; the same each
// iteration. Throws std::invalid_argument for a spec validate_spec rejects or whose ranks do
// not match the communicator.
class LayerBench {
 public:
  LayerBench(const std::vector<LayerSpec>& specs, MPI_Comm comm);
  ~LayerBench();
  LayerBench(const LayerBench&) = delete;
  LayerBench& operator=(const LayerBench&) = delete;

  // One iteration of every layer; a timed round adds one sample to each.
  void run_round(bool timed);
  // One iteration of layer `index` only (a caller interleaving finer than rounds).
  void run_one(std::size_t index, bool timed);
  std::size_t size() const { return entries_.size(); }
  // Per layer, in the order of the specs (each needs at least one timed iteration).
  std::vector<CpuRunResult> results() const;

 private:
  // Per iteration: 6 forward phases, 6 backward phases, forward sum, backward sum, step.
  static constexpr std::size_t kSlots = 2 * 6 + 3;
  struct Entry;
  MPI_Comm comm_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// One layer: `options.warmup` untimed then `options.repeats` timed iterations.
CpuRunResult run_layer(const LayerSpec& spec, const RunOptions& options, MPI_Comm comm);

// Host memory one layer of `spec` holds on a rank while measured (weights, gradients,
// activations and buffers; an estimate within a small factor), so that a grid measured in
// interleaved rounds, every layer alive at once, can be checked against the host's memory.
double layer_memory_bytes(const LayerSpec& spec);

// Correctness of the distributed layer: runs forward + backward on `comm` and, on every rank,
// the same tokens through a 1-rank layer holding all E experts (MPI_COMM_SELF; same weights,
// routing and capacity), and returns the largest absolute difference over all ranks of the
// outputs, input gradients, router gradients and expert weight gradients (the 1-rank
// layers' expert gradients summed over ranks). Collective.
double distributed_vs_local_max_diff(const LayerSpec& spec, MPI_Comm comm);

}  // namespace switchsim::ref::cpu
