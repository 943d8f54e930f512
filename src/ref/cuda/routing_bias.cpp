#include "ref/cuda/routing_bias.hpp"

#include <cmath>
#include <stdexcept>

#include "moe/routing_skew.hpp"

namespace switchsim::ref::cuda {

std::vector<double> routing_probabilities(const std::string& routing, std::int64_t experts) {
  if (experts <= 0) throw std::invalid_argument("routing_probabilities: experts must be > 0");
  const moe::RoutingSkew skew = moe::parse_routing_skew(routing);
  if (skew.kind == moe::RoutingSkew::Kind::hot && (skew.parameter >= 1 || experts < 2))
    throw std::invalid_argument("routing '" + routing + "': hot fraction must be in (0, 1) with >= 2 experts");
  return moe::skew_shares(skew, experts);
}

std::vector<float> routing_bias(const std::string& routing, std::int64_t experts) {
  const auto p = routing_probabilities(routing, experts);
  std::vector<float> b(p.size());
  for (std::size_t e = 0; e < p.size(); ++e) b[e] = static_cast<float>(std::log(p[e] * static_cast<double>(experts)));
  return b;
}

double router_weight_scale(std::int64_t d_model) {
  if (d_model <= 0) throw std::invalid_argument("router_weight_scale: d_model must be > 0");
  return kRouterLogitStd * 3.0 / std::sqrt(static_cast<double>(d_model));
}

}  // namespace switchsim::ref::cuda
