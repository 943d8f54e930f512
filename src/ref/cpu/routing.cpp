#include "ref/cpu/routing.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "moe/routing_skew.hpp"

namespace switchsim::ref::cpu {

void check_routing_spec(const std::string& routing) { (void)routing_bias(routing, 2); }

std::vector<float> routing_bias(const std::string& routing, std::int64_t experts) {
  const moe::RoutingSkew skew = moe::parse_routing_skew(routing);
  std::vector<float> bias(static_cast<std::size_t>(experts), 0.0F);
  switch (skew.kind) {
    case moe::RoutingSkew::Kind::uniform:
      break;
    case moe::RoutingSkew::Kind::zipf:  // ln p_e - ln p_0
      for (std::int64_t e = 0; e < experts; ++e)
        bias[static_cast<std::size_t>(e)] = static_cast<float>(-skew.parameter * std::log(static_cast<double>(e + 1)));
      break;
    case moe::RoutingSkew::Kind::hot: {  // ln p_0 - ln p_rest, the others 0
      const double f = skew.parameter;
      if (!(f < 1)) throw std::invalid_argument("routing \"" + routing + "\": the hot fraction must be in (0, 1)");
      bias[0] = static_cast<float>(std::log(f * static_cast<double>(experts - 1) / (1.0 - f)));
      break;
    }
  }
  return bias;
}

void softmax_rows(std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
  for (std::int64_t r = 0; r < rows; ++r) {
    float* row = values.data() + r * cols;
    const float mx = *std::max_element(row, row + cols);
    double sum = 0;
    for (std::int64_t c = 0; c < cols; ++c) {
      row[c] = std::exp(row[c] - mx);
      sum += row[c];
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (std::int64_t c = 0; c < cols; ++c) row[c] *= inv;
  }
}

void router_logit_gradients(const RoutingPlan& plan, const std::vector<float>& dgate, const std::vector<float>& probs,
                            double aux_alpha, std::vector<float>& dlogits) {
  const std::int64_t T = plan.tokens, E = plan.experts;
  if (dgate.size() != plan.assignments.size() || static_cast<std::int64_t>(probs.size()) != T * E)
    throw std::invalid_argument("router_logit_gradients: dgate or probs do not match the plan");
  dlogits.assign(static_cast<std::size_t>(T * E), 0.0F);  // first d(probs), then d(logits)
  for (std::size_t i = 0; i < plan.assignments.size(); ++i) {
    const auto& a = plan.assignments[i];
    if (a.kept) dlogits[static_cast<std::size_t>(a.token * E + a.expert)] += dgate[i];
  }
  if (aux_alpha > 0) {
    std::vector<float> g(static_cast<std::size_t>(E));
    for (std::int64_t e = 0; e < E; ++e)
      g[static_cast<std::size_t>(e)] = static_cast<float>(aux_alpha * double(E) * plan.f[static_cast<std::size_t>(e)] / double(T));
    for (std::int64_t t = 0; t < T; ++t)  // row by row: contiguous, unlike a column walk
      for (std::int64_t e = 0; e < E; ++e) dlogits[static_cast<std::size_t>(t * E + e)] += g[static_cast<std::size_t>(e)];
  }
  for (std::int64_t t = 0; t < T; ++t) {  // softmax backward: p * (dp - sum_j dp_j p_j)
    float* dl = dlogits.data() + t * E;
    const float* p = probs.data() + t * E;
    double s = 0;
    for (std::int64_t e = 0; e < E; ++e) s += static_cast<double>(dl[e]) * p[e];
    for (std::int64_t e = 0; e < E; ++e) dl[e] = p[e] * (dl[e] - static_cast<float>(s));
  }
}

RoutingPlan route_tokens(const std::vector<float>& probs, std::int64_t tokens, std::int64_t experts,
                         std::int64_t top_k, std::int64_t capacity, double aux_alpha) {
  RoutingPlan plan;
  plan.tokens = tokens;
  plan.experts = experts;
  plan.top_k = top_k;
  plan.capacity = capacity;
  const auto E = static_cast<std::size_t>(experts);
  plan.assignments.resize(static_cast<std::size_t>(tokens * top_k));
  plan.kept_per_expert.assign(E, 0);
  plan.routed_per_expert.assign(E, 0);
  plan.f.assign(E, 0.0);
  plan.p_mean.assign(E, 0.0);

  std::vector<std::int64_t> order(E);
  for (std::int64_t t = 0; t < tokens; ++t) {
    const float* row = probs.data() + t * experts;
    // Highest probability first; ties go to the lower expert index (deterministic).
    if (top_k == 1) {  // Switch routing: an argmax (the first maximum), no sort
      order[0] = std::max_element(row, row + experts) - row;
    } else {
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + top_k, order.end(), [row](std::int64_t a, std::int64_t b) {
        return row[a] > row[b] || (row[a] == row[b] && a < b);
      });
    }
    for (std::int64_t c = 0; c < top_k; ++c) {
      auto& a = plan.assignments[static_cast<std::size_t>(c * tokens + t)];
      a.token = t;
      a.expert = order[static_cast<std::size_t>(c)];
      a.gate = row[a.expert];
    }
    plan.f[static_cast<std::size_t>(order[0])] += 1.0;
    for (std::size_t e = 0; e < E; ++e) plan.p_mean[e] += row[e];
  }
  for (auto& a : plan.assignments) {  // choice-major order: first choices claim slots first
    auto& routed = plan.routed_per_expert[static_cast<std::size_t>(a.expert)];
    ++routed;
    if (capacity < 0 || routed <= capacity) {
      a.slot = plan.kept_per_expert[static_cast<std::size_t>(a.expert)]++;
      a.kept = true;
    } else {
      ++plan.dropped;
    }
  }
  double sum = 0;
  for (std::size_t e = 0; e < E; ++e) {
    plan.f[e] /= static_cast<double>(tokens);
    plan.p_mean[e] /= static_cast<double>(tokens);
    sum += plan.f[e] * plan.p_mean[e];
  }
  plan.aux_loss = aux_alpha * static_cast<double>(experts) * sum;
  return plan;
}

}  // namespace switchsim::ref::cpu
