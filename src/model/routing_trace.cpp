#include "model/routing_trace.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "units/checked.hpp"
#include "units/units.hpp"

namespace switchsim::model {
namespace {

constexpr double kProbSumTolerance = 1e-3;  // P_e are recorded means of float softmax outputs

std::vector<std::int64_t> read_counts(const nlohmann::json& row, const std::string& file, const std::string& pointer,
                                      std::int64_t experts, std::int64_t tokens, std::int64_t top_k) {
  if (!row.is_array()) throw config::ConfigError(file, pointer, "must be an array of per-expert counts");
  if (static_cast<std::int64_t>(row.size()) != experts)
    throw config::ConfigError(file, pointer,
                              "has " + std::to_string(row.size()) + " counts, expected " + std::to_string(experts));
  std::int64_t assignments = 0;
  try {
    assignments = size_product("tokens_per_group x top_k", {tokens, top_k});
  } catch (const OverflowError&) {
    throw config::ConfigError(file, pointer, "tokens_per_group x top_k exceeds the int64 range");
  }
  std::vector<std::int64_t> counts;
  std::int64_t sum = 0;
  for (std::size_t e = 0; e < row.size(); ++e) {
    const auto& v = row[e];
    const std::string at = pointer + "/" + std::to_string(e);
    const bool fits = v.is_number_unsigned() ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX)
                                             : v.is_number_integer() && v.get<std::int64_t>() >= 0;
    if (!fits)
      throw config::ConfigError(file, at, "must be a non-negative integer, got " + config::describe_value(v));
    const auto count = v.get<std::int64_t>();
    // Each token picks k distinct experts, so an expert gets at most one assignment per token.
    if (count > tokens)
      throw config::ConfigError(file, at,
                                "count " + std::to_string(count) + " exceeds tokens_per_group " + std::to_string(tokens) +
                                    " (a token is assigned to an expert at most once)");
    try {
      sum = size_sum("counts of the step", {sum, count});
    } catch (const OverflowError&) {
      throw config::ConfigError(file, at, "counts of the step sum past the int64 range (expected tokens_per_group x top_k = " +
                                              std::to_string(assignments) + ")");
    }
    counts.push_back(count);
  }
  if (sum != assignments)
    throw config::ConfigError(file, pointer,
                              "counts sum to " + std::to_string(sum) + ", expected tokens_per_group x top_k = " +
                                  std::to_string(assignments));
  return counts;
}

std::vector<double> read_router_prob(const nlohmann::json& row, const std::string& file, const std::string& pointer,
                                     std::int64_t experts) {
  if (!row.is_array()) throw config::ConfigError(file, pointer, "must be an array of per-expert router probabilities");
  if (static_cast<std::int64_t>(row.size()) != experts)
    throw config::ConfigError(file, pointer,
                              "has " + std::to_string(row.size()) + " probabilities, expected " + std::to_string(experts));
  std::vector<double> p;
  double sum = 0;
  for (std::size_t e = 0; e < row.size(); ++e) {
    const auto& v = row[e];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0 || v.get<double>() > 1)
      throw config::ConfigError(file, pointer + "/" + std::to_string(e),
                                "must be a probability in [0, 1], got " + config::describe_value(v));
    p.push_back(v.get<double>());
    sum += p.back();
  }
  if (std::abs(sum - 1.0) > kProbSumTolerance)
    throw config::ConfigError(file, pointer, "router probabilities sum to " + std::to_string(sum) + ", expected 1");
  return p;
}

}  // namespace

RoutingTrace read_routing_trace(const std::filesystem::path& path, std::int64_t experts, std::int64_t top_k) {
  const std::string file = path.string();
  const auto json = config::load_json_file(path);
  config::ObjectReader r(json, file);
  RoutingTrace trace;
  trace.file = file;
  trace.experts = r.positive_int("experts");
  if (trace.experts != experts)
    r.fail("experts", "the trace has " + std::to_string(trace.experts) + " experts but the model is simulated with " +
                          std::to_string(experts));
  trace.tokens_per_group = r.positive_int("tokens_per_group");
  trace.top_k = r.positive_int_or("top_k", 1);
  if (trace.top_k != top_k)
    r.fail("top_k", "the trace routes top-" + std::to_string(trace.top_k) + " but the model routes top-" +
                        std::to_string(top_k));
  r.optional_string("source");
  const auto& steps = r.array("steps");
  if (steps.empty()) r.fail("steps", "must hold at least one step");
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const std::string pointer = r.pointer_to("steps") + "/" + std::to_string(s);
    RoutingTraceStep step;
    if (steps[s].is_object()) {
      config::ObjectReader o(steps[s], file, pointer);
      step.counts = read_counts(o.raw("counts"), file, o.pointer_to("counts"), experts, trace.tokens_per_group, top_k);
      if (o.has("router_prob")) step.router_prob = read_router_prob(o.raw("router_prob"), file, o.pointer_to("router_prob"), experts);
      o.finish();
    } else {
      step.counts = read_counts(steps[s], file, pointer, experts, trace.tokens_per_group, top_k);
    }
    trace.steps.push_back(std::move(step));
  }
  r.finish();
  return trace;
}

std::vector<std::int64_t> trace_counts(const RoutingTrace& trace, std::int64_t step, std::int64_t tokens) {
  if (step < 0 || step >= static_cast<std::int64_t>(trace.steps.size()))
    throw std::out_of_range(trace.file + ": step " + std::to_string(step) + " is beyond the trace's " +
                            std::to_string(trace.steps.size()) + " steps");
  const auto& given = trace.steps[static_cast<std::size_t>(step)].counts;
  if (tokens == trace.tokens_per_group) return given;
  // Largest remainders: floor of each exact share, then one more to the largest remainders.
  const std::int64_t target = size_product("trace assignments", {tokens, trace.top_k});
  const double scale = static_cast<double>(target) /
                       static_cast<double>(size_product("trace assignments", {trace.tokens_per_group, trace.top_k}));
  std::vector<std::int64_t> counts(given.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::int64_t placed = 0;
  for (std::size_t e = 0; e < given.size(); ++e) {
    const double exact = static_cast<double>(given[e]) * scale;
    counts[e] = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(exact)), tokens);
    placed += counts[e];
    remainders.emplace_back(exact - static_cast<double>(counts[e]), e);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; placed < target && i < remainders.size(); ++i) {
    const std::size_t e = remainders[i].second;
    if (counts[e] < tokens) {
      ++counts[e];
      ++placed;
    }
  }
  // Rounding of huge counts can leave a few over or under: settle them on the largest expert.
  if (placed != target) {
    const auto hot = static_cast<std::size_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());
    counts[hot] = std::max<std::int64_t>(0, counts[hot] + (target - placed));
  }
  return counts;
}

}  // namespace switchsim::model
