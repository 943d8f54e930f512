#include "cli/scenario_options.hpp"

#include "cli/seed_option.hpp"

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
  cmd.add_option("--seed", s.seed, "Seed of the routing sample (default: 1)")
      ->check(decimal_seed());
  cmd.add_option("--router-dtype", s.router_dtype, "Router precision fp32|bf16 (default: fp32, selective precision)");
  cmd.add_option("--compute-dtype", s.compute_dtype, "Precision of everything else bf16|fp32 (default: bf16)");
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
