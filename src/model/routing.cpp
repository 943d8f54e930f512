#include "model/routing.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"

namespace switchsim::model {
namespace {

double parse_number(const std::string& text, const std::string& what) {
  double value = 0;
  const auto* begin = text.data();
  const auto* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value))
    throw std::invalid_argument("routing '" + what + "': not a number: '" + text + "'");
  return value;
}

}  // namespace

RoutingSpec parse_routing(const std::string& text) {
  RoutingSpec spec;
  spec.text = text;
  const auto colon = text.find(':');
  const std::string kind = text.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (kind == "uniform") {
    if (!arg.empty()) throw std::invalid_argument("routing 'uniform' takes no parameter");
    spec.kind = RoutingSpec::Kind::uniform;
  } else if (kind == "zipf") {
    spec.kind = RoutingSpec::Kind::zipf;
    spec.parameter = parse_number(arg, text);
    if (spec.parameter < 0) throw std::invalid_argument("routing 'zipf:S' needs S >= 0, got " + arg);
  } else if (kind == "hot") {
    spec.kind = RoutingSpec::Kind::hot;
    spec.parameter = parse_number(arg, text);
    if (spec.parameter <= 0 || spec.parameter > 1)
      throw std::invalid_argument("routing 'hot:F' needs 0 < F <= 1, got " + arg);
  } else if (kind == "trace") {
    if (arg.empty()) throw std::invalid_argument("routing 'trace:FILE' needs a file");
    spec.kind = RoutingSpec::Kind::trace;
  } else {
    throw std::invalid_argument("unknown routing '" + text + "' (use uniform, zipf:S, hot:F or trace:FILE)");
  }
  return spec;
}

RoutingSpec load_routing_trace(const std::filesystem::path& path, std::int64_t experts) {
  const std::string file = path.string();
  const auto json = config::load_json_file(path);
  config::ObjectReader r(json, file);
  RoutingSpec spec;
  spec.kind = RoutingSpec::Kind::trace;
  spec.text = "trace:" + file;
  const std::int64_t trace_experts = r.positive_int("experts");
  if (trace_experts != experts)
    r.fail("experts", "the trace has " + std::to_string(trace_experts) + " experts but the model is simulated with " +
                          std::to_string(experts));
  const std::int64_t tokens = r.positive_int("tokens_per_group");
  const std::int64_t top_k = r.positive_int_or("top_k", 1);
  r.optional_string("source");
  const auto& steps = r.array("steps");
  if (steps.empty()) r.fail("steps", "must hold at least one step");
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const std::string pointer = r.pointer_to("steps") + "/" + std::to_string(s);
    if (!steps[s].is_array()) throw config::ConfigError(file, pointer, "must be an array of per-expert counts");
    if (static_cast<std::int64_t>(steps[s].size()) != experts)
      throw config::ConfigError(file, pointer,
                                "has " + std::to_string(steps[s].size()) + " counts, expected " + std::to_string(experts));
    std::int64_t sum = 0;
    std::vector<double> shares;
    for (std::size_t e = 0; e < steps[s].size(); ++e) {
      const auto& v = steps[s][e];
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        throw config::ConfigError(file, pointer + "/" + std::to_string(e),
                                  "must be a non-negative integer, got " + config::describe_value(v));
      const auto count = v.get<std::int64_t>();
      if (count > tokens * top_k)
        throw config::ConfigError(file, pointer + "/" + std::to_string(e), "count exceeds tokens_per_group");
      sum += count;
      shares.push_back(static_cast<double>(count));
    }
    if (sum != tokens * top_k)
      throw config::ConfigError(file, pointer,
                                "counts sum to " + std::to_string(sum) + ", expected tokens_per_group x top_k = " +
                                    std::to_string(tokens * top_k));
    for (double& x : shares) x /= static_cast<double>(sum);
    spec.trace_shares.push_back(std::move(shares));
  }
  r.finish();
  return spec;
}

std::int64_t expert_capacity(std::int64_t tokens, std::int64_t experts, double capacity_factor, std::int64_t top_k,
                             std::int64_t min_capacity) {
  if (tokens <= 0 || experts <= 0 || top_k <= 0 || !(capacity_factor > 0))
    throw std::invalid_argument("expert capacity needs positive tokens, experts, top_k and capacity factor");
  const double exact = capacity_factor * static_cast<double>(top_k) * static_cast<double>(tokens) /
                       static_cast<double>(experts);
  // Subtract a hair before ceil so that 1.0 * 1024 / 8 gives exactly 128, not 129.
  const auto capacity = static_cast<std::int64_t>(std::ceil(exact - 1e-9));
  return std::max(capacity, min_capacity);
}

std::vector<double> expert_shares(const RoutingSpec& spec, std::int64_t experts, std::int64_t step,
                                  std::mt19937_64& rng) {
  const auto n = static_cast<std::size_t>(experts);
  std::vector<double> shares(n, 1.0 / static_cast<double>(experts));
  switch (spec.kind) {
    case RoutingSpec::Kind::uniform:
      break;
    case RoutingSpec::Kind::zipf: {
      // Rank r (1-based) gets weight r^-s; ranks are assigned to experts by a seeded shuffle
      // so that the hot expert is not always expert 0.
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      double total = 0;
      for (std::size_t r = 0; r < n; ++r) total += std::pow(static_cast<double>(r + 1), -spec.parameter);
      for (std::size_t r = 0; r < n; ++r)
        shares[order[r]] = std::pow(static_cast<double>(r + 1), -spec.parameter) / total;
      break;
    }
    case RoutingSpec::Kind::hot: {
      // One expert (chosen by the seed) takes the fraction F; the rest share 1 - F evenly.
      std::uniform_int_distribution<std::int64_t> pick(0, experts - 1);
      const auto hot = static_cast<std::size_t>(pick(rng));
      const double rest = experts > 1 ? (1.0 - spec.parameter) / static_cast<double>(experts - 1) : 0.0;
      for (std::size_t e = 0; e < n; ++e) shares[e] = e == hot ? spec.parameter : rest;
      if (experts == 1) shares[0] = 1.0;
      break;
    }
    case RoutingSpec::Kind::trace:
      shares = spec.trace_shares.at(static_cast<std::size_t>(step) % spec.trace_shares.size());
      break;
  }
  return shares;
}

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
    std::binomial_distribution<std::int64_t> draw(remaining, p);
    counts[e] = draw(rng);
    remaining -= counts[e];
    mass_left -= shares[e];
  }
  return counts;
}

LoadSummary summarize_load(const std::vector<std::int64_t>& counts, std::int64_t capacity) {
  LoadSummary s;
  for (std::int64_t c : counts) {
    s.assignments += c;
    s.dropped += std::max<std::int64_t>(0, c - capacity);
    s.max_count = std::max(s.max_count, c);
  }
  return s;
}

double auxiliary_loss(const std::vector<std::int64_t>& counts, double confidence, double alpha) {
  const double n = static_cast<double>(counts.size());
  const double total = static_cast<double>(std::accumulate(counts.begin(), counts.end(), std::int64_t{0}));
  if (total == 0) return 0.0;
  double sum = 0;
  for (std::int64_t c : counts) {
    const double f = static_cast<double>(c) / total;
    const double p = confidence * f + (1.0 - confidence) / n;
    sum += f * p;
  }
  return alpha * n * sum;
}

}  // namespace switchsim::model
