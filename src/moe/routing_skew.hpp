#pragma once
// How unevenly a router spreads tokens over experts, as a user writes it:
//   uniform   every expert the same share, p_e = 1/E;
//   zipf:S    Zipf's law over expert ranks, p_e ∝ (e+1)^-S (S >= 0; S = 0 is uniform);
//   hot:F     one expert takes the fraction F of the assignments (0 < F <= 1), the others
//             share 1 - F evenly.
// Parsed once here; the model reads p_e as load shares, the references as router logit biases
// (see README.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchsim::moe {

struct RoutingSkew {
  enum class Kind { uniform, zipf, hot };
  Kind kind = Kind::uniform;
  double parameter = 0.0;  // zipf: the exponent S; hot: the fraction F
  std::string text = "uniform";  // as written
};

// Throws std::invalid_argument with a one-line reason ("routing 'zipf:x': not a number").
RoutingSkew parse_routing_skew(std::string_view text);

// p_e for e = 0..E-1 (summing to 1), the hottest expert first. Throws std::invalid_argument
// when experts <= 0.
std::vector<double> skew_shares(const RoutingSkew& skew, std::int64_t experts);

}  // namespace switchsim::moe
