#pragma once
// The shape of one Switch layer as one routing group sees it: T tokens, each routed to k of E
// experts whose FFN is d_model -> d_ff -> d_model.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "units/checked.hpp"

namespace switchsim::moe {

struct SwitchLayerShape {
  std::int64_t tokens = 0;   // T, tokens per routing group (one device's, per microbatch)
  std::int64_t experts = 0;  // E
  std::int64_t top_k = 1;    // k
  std::int64_t d_model = 0;
  std::int64_t d_ff = 0;

  // T·k, the token-to-expert assignments of the group. Throws OverflowError past int64.
  std::int64_t assignments() const { return size_product("assignments (tokens x top_k)", {tokens, top_k}); }
  // Throws std::invalid_argument naming the first field out of range.
  void validate() const {
    if (tokens < 0) throw std::invalid_argument("layer shape: tokens must be >= 0, got " + std::to_string(tokens));
    if (experts <= 0) throw std::invalid_argument("layer shape: experts must be > 0, got " + std::to_string(experts));
    if (top_k <= 0 || top_k > experts)
      throw std::invalid_argument("layer shape: top_k must be in 1.." + std::to_string(experts) + ", got " +
                                  std::to_string(top_k));
    if (d_model <= 0 || d_ff <= 0) throw std::invalid_argument("layer shape: d_model and d_ff must be > 0");
  }
};

}  // namespace switchsim::moe
