#pragma once
// Expert capacity (Switch Transformers, Fedus et al. 2021, §2.2): the rows one expert accepts
// from one routing group of T tokens,
//   C = max(ceil(cf · k · T / E), min_capacity).
// For k = 1 this is the paper's (tokens per batch / experts) x capacity factor; with top-k
// each token makes k assignments, so C scales with k (GShard's convention) and cf = 1 leaves
// room for every assignment of a perfectly balanced load.

#include <cstdint>

namespace switchsim::moe {

// Named arguments: expert_capacity({.tokens = 1024, .experts = 8, .capacity_factor = 1.25}).
struct CapacityArgs {
  std::int64_t tokens = 0;   // T, tokens in the routing group (>= 0)
  std::int64_t experts = 0;  // E (> 0)
  std::int64_t top_k = 1;    // k (> 0)
  double capacity_factor = 1.0;  // cf (> 0, finite)
  std::int64_t min_capacity = 0;  // floor on C (>= 0)
};

// Throws std::invalid_argument for arguments outside the ranges above.
std::int64_t expert_capacity(const CapacityArgs& args);

}  // namespace switchsim::moe
