#include "model/routing.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "units/checked.hpp"
#include "units/units.hpp"

namespace switchsim::model {

RoutingSpec parse_routing(const std::string& text) {
  RoutingSpec spec;
  spec.text = text;
  if (text.rfind("trace", 0) == 0 && (text.size() == 5 || text[5] == ':')) {
    if (text.size() <= 6) throw std::invalid_argument("routing 'trace:FILE' needs a file");
    spec.kind = RoutingSpec::Kind::trace;
    return spec;
  }
  const std::string kind = text.substr(0, text.find(':'));
  if (kind != "uniform" && kind != "zipf" && kind != "hot")
    throw std::invalid_argument("unknown routing '" + text + "' (use uniform, zipf:S, hot:F or trace:FILE)");
  spec.skew = moe::parse_routing_skew(text);
  switch (spec.skew.kind) {
    case moe::RoutingSkew::Kind::uniform: spec.kind = RoutingSpec::Kind::uniform; break;
    case moe::RoutingSkew::Kind::zipf: spec.kind = RoutingSpec::Kind::zipf; break;
    case moe::RoutingSkew::Kind::hot: spec.kind = RoutingSpec::Kind::hot; break;
  }
  return spec;
}

RoutingSpec load_routing_trace(const std::filesystem::path& path, std::int64_t experts, std::int64_t top_k) {
  RoutingSpec spec;
  spec.kind = RoutingSpec::Kind::trace;
  spec.text = "trace:" + path.string();
  spec.trace = std::make_shared<const RoutingTrace>(read_routing_trace(path, experts, top_k));
  return spec;
}

std::vector<double> expert_shares(const RoutingSpec& spec, std::int64_t experts, std::int64_t step,
                                  std::mt19937_64& rng) {
  const auto n = static_cast<std::size_t>(experts);
  if (spec.kind == RoutingSpec::Kind::trace) {
    if (!spec.trace) throw std::invalid_argument("routing '" + spec.text + "': the trace was not loaded");
    const auto& counts = spec.trace->steps.at(static_cast<std::size_t>(step) % spec.trace->steps.size()).counts;
    double total = 0;
    for (auto c : counts) total += static_cast<double>(c);
    std::vector<double> shares(n, 0.0);
    for (std::size_t e = 0; e < n && e < counts.size(); ++e) shares[e] = static_cast<double>(counts[e]) / total;
    return shares;
  }
  const std::vector<double> ranked = moe::skew_shares(spec.skew, experts);
  std::vector<double> shares = ranked;
  switch (spec.skew.kind) {
    case moe::RoutingSkew::Kind::uniform:
      break;
    case moe::RoutingSkew::Kind::zipf: {
      // Rank r (0-based) goes to expert order[r], a seeded shuffle.
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      for (std::size_t r = 0; r < n; ++r) shares[order[r]] = ranked[r];
      break;
    }
    case moe::RoutingSkew::Kind::hot: {
      // The hot expert is chosen by the seed; the rest share 1 - F evenly.
      std::uniform_int_distribution<std::int64_t> pick(0, experts - 1);
      const auto hot = static_cast<std::size_t>(pick(rng));
      std::swap(shares[0], shares[hot]);
      break;
    }
  }
  return shares;
}

namespace {
std::int64_t draw_binomial(std::int64_t n, double p, std::mt19937_64& rng) {
  if (n <= kExactBinomialLimit) {
    std::binomial_distribution<std::int64_t> draw(n, p);
    return draw(rng);
  }
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(mean * (1.0 - p));
  std::normal_distribution<double> z(0.0, 1.0);
  const double x = std::round(mean + sd * z(rng));
  if (!(x > 0)) return 0;
  if (x >= static_cast<double>(n)) return n;
  return static_cast<std::int64_t>(x);
}
}  // namespace

std::vector<std::int64_t> sample_counts(const std::vector<double>& shares, std::int64_t assignments,
                                        std::mt19937_64& rng) {
  // Multinomial by sequential binomials: expert e takes Binomial(remaining, p_e / p_remaining).
  std::vector<std::int64_t> counts(shares.size(), 0);
  std::int64_t remaining = assignments;
  double mass_left = 1.0;
  for (std::size_t e = 0; e < shares.size() && remaining > 0; ++e) {
    if (e + 1 == shares.size() || mass_left <= 0) {
      counts[e] = remaining;
      remaining = 0;
      break;
    }
    const double p = std::clamp(shares[e] / mass_left, 0.0, 1.0);
    counts[e] = std::min(draw_binomial(remaining, p, rng), remaining);
    remaining -= counts[e];
    mass_left -= shares[e];
  }
  return counts;
}

LoadSummary summarize_load(const std::vector<std::int64_t>& counts, std::int64_t capacity) {
  LoadSummary s;
  for (std::int64_t c : counts) {
    s.assignments = size_sum("assignments", {s.assignments, c});
    s.dropped = size_sum("dropped assignments", {s.dropped, std::max<std::int64_t>(0, c - capacity)});
    s.max_count = std::max(s.max_count, c);
  }
  return s;
}

namespace {
double total_of(const std::vector<std::int64_t>& counts) {
  double total = 0;
  for (auto c : counts) total += static_cast<double>(c);
  return total;
}
}  // namespace

double aux_loss(const std::vector<std::int64_t>& counts, const std::vector<double>& router_prob, double alpha) {
  if (router_prob.size() != counts.size())
    throw std::invalid_argument("aux_loss: " + std::to_string(counts.size()) + " counts but " +
                                std::to_string(router_prob.size()) + " router probabilities");
  const double total = total_of(counts);
  if (total == 0) return 0.0;
  double sum = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) sum += static_cast<double>(counts[i]) / total * router_prob[i];
  return alpha * static_cast<double>(counts.size()) * sum;
}

double aux_loss_proxy(const std::vector<std::int64_t>& counts, double alpha) {
  const double total = total_of(counts);
  if (total == 0) return 0.0;
  double sum = 0;
  for (std::int64_t c : counts) {
    const double f = static_cast<double>(c) / total;
    sum += f * f;
  }
  return alpha * static_cast<double>(counts.size()) * sum;
}

}  // namespace switchsim::model
