#include "cli/layer_grid_options.hpp"

#include "cli/seed_option.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace switchsim::cli {

void add_layer_grid_options(CLI::App* cmd, validate::LayerGrid& o, bool routing, bool aux) {
  cmd->add_option("--ranks", o.ranks,
                  fmt::format("MPI ranks (cpu) or GPUs (cuda); experts are sharded over them (default {})", o.ranks));
  cmd->add_option("--experts", o.experts,
                  fmt::format("Experts E, comma-separated list for a grid (default {})", fmt::join(o.experts, ",")))
      ->delimiter(',');
  cmd->add_option("--capacity-factor", o.capacity_factor,
                  fmt::format("Capacity factor cf, list allowed; C = max(ceil(cf*k*T/E), min capacity) (default {})",
                              fmt::join(o.capacity_factor, ",")))
      ->delimiter(',');
  cmd->add_option("--tokens", o.tokens,
                  fmt::format("Tokens per rank T, list allowed (default {})", fmt::join(o.tokens, ",")))
      ->delimiter(',');
  cmd->add_option("--d-model", o.d_model,
                  fmt::format("Model width d_model in elements, list allowed (default {})", fmt::join(o.d_model, ",")))
      ->delimiter(',');
  cmd->add_option("--d-ff", o.d_ff,
                  fmt::format("Expert hidden width d_ff in elements, list allowed (default {})", fmt::join(o.d_ff, ",")))
      ->delimiter(',');
  cmd->add_option("--ffn", o.ffn, fmt::format("Expert FFN: relu or geglu (default {})", o.ffn));
  cmd->add_option("--top-k", o.top_k, fmt::format("Experts per token k (default {}, Switch routing)", o.top_k));
  cmd->add_option("--padding", o.padding,
                  fmt::format("capacity (MPI_Alltoall of [E, C, d]) or dropless (MPI_Alltoallv of actual counts) "
                              "(default {})",
                              o.padding));
  if (routing)
    cmd->add_option("--routing", o.routing,
                    fmt::format("Router skew: uniform, zipf:S (logit bias -S ln(e+1)) or hot:F (expert 0 softmax "
                                "mass F) (default {})",
                                o.routing));
  if (aux)
    cmd->add_flag_function("--no-aux-loss", [&o](std::int64_t) { o.aux_loss = false; },
                           "Leave the load-balancing loss out of the backward pass");
  cmd->add_option("--seed", o.seed, fmt::format("Seed of inputs, weights and predicted loads (default {})", o.seed))
      ->check(decimal_seed());
  cmd->add_option("--min-capacity", o.min_capacity,
                  fmt::format("Minimum expert capacity in tokens (default {})", o.min_capacity));
}

}  // namespace switchsim::cli
