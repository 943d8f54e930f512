#pragma once
// A sweep grid: a list of values per scenario parameter; the points are their cartesian
// product in a fixed order (models, clusters, layouts, batch tokens, routings, paddings,
// dispatches, top-k, experts, capacity factors: the last varies fastest), so that point i is the same
// point on every rank and thread.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario.hpp"

namespace switchsim::sweep {

struct Grid {
  model::Scenario base;  // everything not swept
  std::vector<std::string> models;
  std::vector<std::string> clusters;
  std::vector<std::string> layouts{""};
  std::vector<std::int64_t> batch_tokens;
  std::vector<std::string> routings;
  std::vector<std::string> paddings;
  std::vector<std::string> dispatches;         // empty: each device profile's default
  std::vector<std::int64_t> top_ks;            // empty: the model's
  std::vector<std::int64_t> experts;           // empty: the model's
  std::vector<double> capacity_factors;        // empty: the model's

  std::int64_t size() const;
  // Point i of size(), 0 <= i < size().
  model::Scenario point(std::int64_t index) const;
};

// Reads a grid file: {"model": [...], "cluster": [...], "experts": [...], "capacity_factor": [...],
// "top_k": [...], "batch_tokens": [...], "layout": [...], "routing": [...], "padding": [...],
// "dispatch": [...], and single values "seed", "seq_len", "microbatches", "optimizer",
// "router_dtype", "compute_dtype", "group_size", "remat", "matmul_precision"}.
// Unknown keys, empty lists and wrong types are config::ConfigError naming the file and pointer.
Grid load_grid(const std::filesystem::path& path);

// Parses "8,16,32" style lists; throws std::invalid_argument naming `option`.
std::vector<std::int64_t> parse_int_list(const std::string& text, const std::string& option);
std::vector<double> parse_double_list(const std::string& text, const std::string& option);
std::vector<std::string> parse_string_list(const std::string& text);

}  // namespace switchsim::sweep
