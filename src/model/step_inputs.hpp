#pragma once
// Everything one simulated training step depends on, already validated.

#include <cstdint>
#include <optional>
#include <string>

#include "config/cluster_config.hpp"
#include "config/model_config.hpp"
#include "model/comm_algorithm.hpp"
#include "model/layout.hpp"
#include "model/routing.hpp"
#include "model/step_options.hpp"

namespace switchsim::model {

enum class Padding { capacity, dropless };
enum class Optimizer { adafactor, adam };

struct StepInputs {
  config::ModelConfig model;  // experts, top_k, dtypes already overridden as requested
  config::ClusterConfig cluster;
  double capacity_factor = 1.0;
  std::int64_t batch_tokens = 0;  // encoder (input) tokens per step over the whole cluster
  ParallelLayout layout;
  RoutingSpec routing;
  std::uint64_t seed = 1;
  Padding padding = Padding::capacity;
  Optimizer optimizer = Optimizer::adafactor;
  std::int64_t microbatches = 1;
  // Data-parallel gradient all-reduce overlaps the backward pass (bucketed per layer), as
  // DDP and XLA do; all-to-alls never overlap the expert FFN that needs their data.
  bool overlap_grad_allreduce = true;
  // Absent: "auto", the fastest candidate per request (all-to-all: direct, hierarchical;
  // all-reduce: ring, tree, hierarchical), each timed alone, as NCCL's tuner picks.
  std::optional<CommAlgorithm> alltoall_algorithm = CommAlgorithm::direct;
  std::optional<CommAlgorithm> allreduce_algorithm;
  std::int64_t step = 0;  // which step of a run: the trace step used, and the sampling seed
  // How tokens reach the experts (dispatch_cost.hpp); grouped implies Padding::dropless and
  // einsum Padding::capacity. group_size is S of the einsum's [G, S, E, C] masks.
  Dispatch dispatch = Dispatch::scatter;
  std::int64_t group_size = 1024;  // kMeshTfGroupSize
  Remat remat = Remat::none;       // remat.hpp
  // fp32 matmuls as bf16 passes (TPU, precision.hpp); already applied to cluster.device.
  std::optional<MatmulPrecision> matmul_precision;
};

// Per-device, per-microbatch token counts derived from the inputs.
struct TokenShape {
  std::int64_t sequences = 0;        // per device per microbatch
  std::int64_t encoder_tokens = 0;   // sequences * seq_len_input
  std::int64_t decoder_tokens = 0;   // sequences * seq_len_target
  std::int64_t sequences_per_step = 0;  // whole cluster
};

// Throws std::invalid_argument when batch_tokens does not split into whole sequences per
// device per microbatch.
TokenShape token_shape(const StepInputs& inputs);

}  // namespace switchsim::model
