#include "sweep/grid.hpp"

#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"

namespace switchsim::sweep {
namespace {
template <typename T>
std::size_t count_or_one(const std::vector<T>& values) {
  return values.empty() ? 1 : values.size();
}
}  // namespace

std::int64_t Grid::size() const {
  std::int64_t n = 1;
  for (std::size_t c : {count_or_one(models), count_or_one(clusters), count_or_one(layouts), count_or_one(batch_tokens),
                        count_or_one(routings), count_or_one(paddings), count_or_one(dispatches), count_or_one(top_ks), count_or_one(experts),
                        count_or_one(capacity_factors)})
    n *= static_cast<std::int64_t>(c);
  return n;
}

model::Scenario Grid::point(std::int64_t index) const {
  if (index < 0 || index >= size()) throw std::out_of_range("sweep point out of range");
  model::Scenario s = base;
  auto take = [&index](const auto& values, auto& into) {
    if (values.empty()) return;
    const auto n = static_cast<std::int64_t>(values.size());
    into = values[static_cast<std::size_t>(index % n)];
    index /= n;
  };
  // Innermost (fastest varying) first.
  take(capacity_factors, s.capacity_factor);
  take(experts, s.experts);
  take(top_ks, s.top_k);
  take(dispatches, s.dispatch);
  take(paddings, s.padding);
  take(routings, s.routing);
  take(batch_tokens, s.batch_tokens);
  take(layouts, s.layout);
  take(clusters, s.cluster);
  take(models, s.model);
  return s;
}

std::vector<std::string> parse_string_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::vector<std::int64_t> parse_int_list(const std::string& text, const std::string& option) {
  std::vector<std::int64_t> out;
  for (const auto& item : parse_string_list(text)) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || ptr != item.data() + item.size() || v <= 0)
      throw std::invalid_argument(option + ": expected positive integers separated by commas, got '" + item + "'");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument(option + ": empty list");
  return out;
}

std::vector<double> parse_double_list(const std::string& text, const std::string& option) {
  std::vector<double> out;
  for (const auto& item : parse_string_list(text)) {
    double v = 0;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(v) || v <= 0)
      throw std::invalid_argument(option + ": expected positive numbers separated by commas, got '" + item + "'");
    out.push_back(v);
  }
  if (out.empty()) throw std::invalid_argument(option + ": empty list");
  return out;
}

Grid load_grid(const std::filesystem::path& path) {
  const std::string file = path.string();
  const auto json = config::load_json_file(path);
  config::ObjectReader r(json, file);
  Grid g;
  auto strings = [&](const char* key, std::vector<std::string>& into) {
    if (!r.has(key)) return;
    const auto& values = r.array(key);
    if (values.empty()) r.fail(key, "must list at least one value");
    into.clear();
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_string() || values[i].get<std::string>().empty())
        throw config::ConfigError(file, r.pointer_to(key) + "/" + std::to_string(i),
                                  "must be a non-empty string, got " + config::describe_value(values[i]));
      into.push_back(values[i].get<std::string>());
    }
  };
  auto numbers = [&](const char* key, std::vector<double>& into) {
    if (!r.has(key)) return;
    const auto& values = r.array(key);
    if (values.empty()) r.fail(key, "must list at least one value");
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_number() || !(values[i].get<double>() > 0) || !std::isfinite(values[i].get<double>()))
        throw config::ConfigError(file, r.pointer_to(key) + "/" + std::to_string(i),
                                  "must be a positive number, got " + config::describe_value(values[i]));
      into.push_back(values[i].get<double>());
    }
  };
  strings("model", g.models);
  strings("cluster", g.clusters);
  strings("layout", g.layouts);
  strings("routing", g.routings);
  strings("padding", g.paddings);
  strings("dispatch", g.dispatches);
  for (std::size_t i = 0; i < g.dispatches.size(); ++i)
    if (g.dispatches[i] != "einsum" && g.dispatches[i] != "scatter" && g.dispatches[i] != "grouped")
      throw config::ConfigError(file, r.pointer_to("dispatch") + "/" + std::to_string(i),
                                "must be einsum, scatter or grouped, got \"" + g.dispatches[i] + "\"");
  if (r.has("experts")) g.experts = r.positive_int_array("experts");
  if (r.has("top_k")) g.top_ks = r.positive_int_array("top_k");
  if (r.has("batch_tokens")) g.batch_tokens = r.positive_int_array("batch_tokens");
  numbers("capacity_factor", g.capacity_factors);
  g.base.seed = static_cast<std::uint64_t>(r.non_negative_int_or("seed", 1));
  if (auto seq = r.optional_positive_int("seq_len")) g.base.seq_len = *seq;
  g.base.microbatches = r.positive_int_or("microbatches", 1);
  g.base.optimizer = r.choice_or("optimizer", {"adafactor", "adam"}, "adafactor");
  if (auto dt = r.optional_string("router_dtype")) g.base.router_dtype = *dt;
  if (auto dt = r.optional_string("compute_dtype")) g.base.compute_dtype = *dt;
  if (auto s = r.optional_positive_int("group_size")) g.base.group_size = *s;
  g.base.remat = r.choice_or("remat", {"none", "attention", "full"}, "none");
  if (r.has("matmul_precision"))
    g.base.matmul_precision = r.choice_or("matmul_precision", {"default", "high", "highest"}, "default");
  if (g.models.empty()) r.fail("model", "required field is missing");
  if (g.clusters.empty()) r.fail("cluster", "required field is missing");
  r.finish();
  return g;
}

}  // namespace switchsim::sweep
