#include "ref/cuda/routing_bias.hpp"

#include <cmath>
#include <stdexcept>

namespace switchsim::ref::cuda {

std::vector<double> routing_probabilities(const std::string& routing, std::int64_t experts) {
  if (experts <= 0) throw std::invalid_argument("routing_probabilities: experts must be > 0");
  const auto E = static_cast<std::size_t>(experts);
  std::vector<double> p(E, 1.0 / static_cast<double>(experts));
  auto parameter = [&routing](std::size_t prefix) {
    std::size_t used = 0;
    double v = 0;
    try {
      v = std::stod(routing.substr(prefix), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || prefix + used != routing.size())
      throw std::invalid_argument("routing '" + routing + "': expected uniform, zipf:S or hot:FRAC");
    return v;
  };
  if (routing == "uniform") return p;
  if (routing.rfind("zipf:", 0) == 0) {
    const double s = parameter(5);
    if (s < 0) throw std::invalid_argument("routing '" + routing + "': zipf exponent must be >= 0");
    double sum = 0;
    for (std::size_t e = 0; e < E; ++e) sum += p[e] = std::pow(static_cast<double>(e + 1), -s);
    for (auto& x : p) x /= sum;
    return p;
  }
  if (routing.rfind("hot:", 0) == 0) {
    const double frac = parameter(4);
    if (frac <= 0 || frac >= 1 || experts < 2)
      throw std::invalid_argument("routing '" + routing + "': hot fraction must be in (0, 1) with >= 2 experts");
    p[0] = frac;
    for (std::size_t e = 1; e < E; ++e) p[e] = (1 - frac) / static_cast<double>(experts - 1);
    return p;
  }
  throw std::invalid_argument("routing '" + routing + "': expected uniform, zipf:S or hot:FRAC");
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
