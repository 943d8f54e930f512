#include "cli/scenario_options.hpp"

namespace switchsim::cli {

void add_scenario_options(CLI::App& cmd, model::Scenario& s, bool require) {
  auto* model = cmd.add_option("--model", s.model, "Model name (switchsim list models) or JSON file");
  auto* cluster = cmd.add_option("--cluster", s.cluster, "Cluster name (switchsim list hardware) or JSON file");
  if (require) {
    model->required();
    cluster->required();
  }
  cmd.add_option("--experts", s.experts, "Number of experts (default: the model's)");
  cmd.add_option("--capacity-factor", s.capacity_factor,
                 "Expert capacity factor: C = ceil(k * cf * tokens / experts) (default: the model's training value, 1.0)");
  cmd.add_option("--top-k", s.top_k, "Experts per token: 1 = Switch, 2 = MoE baseline (default: the model's)");
  cmd.add_option("--batch-tokens", s.batch_tokens,
                 "Input (encoder) tokens per step over the whole cluster (default: 1048576)");
  cmd.add_option("--seq-len", s.seq_len, "Input sequence length in tokens (default: the model's, 512)");
  cmd.add_option("--layout", s.layout,
                 "Parallel layout dp=N,tp=M,ep=K with dp*tp = devices (default: all data parallel, experts over dp)");
  cmd.add_option("--routing", s.routing,
                 "Token-to-expert load: uniform | zipf:S | hot:FRAC | trace:FILE (default: uniform)");
  cmd.add_option("--seed", s.seed, "Seed of the routing sample (default: 1)");
  cmd.add_option("--router-dtype", s.router_dtype,
                 "Router GEMM and softmax precision fp32|bf16; fp32 router with bf16 elsewhere is the paper's selective "
                 "precision (Section 2.4) (default: the model's, fp32)");
  cmd.add_option("--compute-dtype", s.compute_dtype,
                 "Precision of everything else bf16|fp32|tf32: sets the GEMM peak (GPU: the profile's fp32 or tf32 peak; "
                 "TPU: bf16 passes, see --matmul-precision) and the bytes of every activation and all-to-all "
                 "(default: the model's, bf16)");
  cmd.add_option("--matmul-precision", s.matmul_precision, "TPU only: fp32 matmuls run as bf16 passes, default = 1, high = 3 (bf16_3x), highest = 6, as XLA's "
                 "PrecisionConfig / jax.lax.Precision (default: the profile's fp32_matmul_passes, 1 on tpu-v3)")
      ->check(CLI::IsMember({"default", "high", "highest"}));
  cmd.add_option("--dispatch", s.dispatch, "How tokens reach their experts and come back: einsum = one-hot [G,S,E,C] mask einsums, compute-bound "
                 "(GShard, Mesh TensorFlow: what the paper ran on TPU); scatter = index gather/scatter of kept rows, "
                 "memory-bound (Tutel, DeepSpeed-MoE, Megatron-Core); grouped = dropless grouped GEMM, rows padded to "
                 "128-row blocks, alltoallv of actual counts (MegaBlocks; implies --padding dropless) "
                 "(default: the device profile's: einsum on TPU, or scatter there with --padding dropless; scatter on GPU/CPU)")
      ->check(CLI::IsMember({"einsum", "scatter", "grouped"}));
  cmd.add_option("--group-size", s.group_size, "einsum dispatch: tokens per routing group S (capacity and the [G,S,E,C] masks are per group; "
                 "their einsums cost 2*S*E*C*d FLOPs each) (default: 1024, Mesh TensorFlow's MoE1D group_size)")->check(CLI::PositiveNumber);
  cmd.add_option("--remat", s.remat, "Activation rematerialization: none (save everything); attention (recompute attention scores and "
                 "probabilities in the backward: Megatron's selective recomputation); full (save only each layer's input, "
                 "rerun its forward, all-to-alls included, before its backward: jax.checkpoint / Megatron full) "
                 "(default: none)")
      ->check(CLI::IsMember({"none", "attention", "full"}));
  cmd.add_option("--padding", s.padding,
                 "capacity: compute and bytes follow E*C (the paper's TPU implementation); dropless: actual counts, "
                 "uneven all-to-all (default: capacity)")
      ->check(CLI::IsMember({"capacity", "dropless"}));
  cmd.add_option("--optimizer", s.optimizer, "adafactor (the paper) or adam (default: adafactor)")
      ->check(CLI::IsMember({"adafactor", "adam"}));
  cmd.add_option("--microbatches", s.microbatches, "Gradient-accumulation microbatches per step (default: 1)");
  cmd.add_flag("!--no-overlap", s.overlap,
               "Do not overlap the gradient all-reduce with the backward pass (default: overlapped)");
  cmd.add_option("--alltoall-algo", s.alltoall_algorithm,
                 "direct | pairwise | hierarchical | auto (the fastest per collective) (default: direct)")
      ->check(CLI::IsMember({"direct", "pairwise", "hierarchical", "auto"}));
  cmd.add_option("--allreduce-algo", s.allreduce_algorithm,
                 "ring | tree | hierarchical | auto (the fastest per collective, as NCCL tunes) (default: auto)")
      ->check(CLI::IsMember({"ring", "tree", "hierarchical", "auto"}));
}

}  // namespace switchsim::cli
