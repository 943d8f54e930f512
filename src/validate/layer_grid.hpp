#pragma once
// The grid of Switch layers that `measure` and `validate` run: lists of experts, capacity
// factors, tokens, widths, and the scalar choices every layer of the grid shares.
// (The command-line options that fill it live in cli/layer_grid_options.hpp.)

#include <cstdint>
#include <string>
#include <vector>

#include "ref/measurement.hpp"

namespace switchsim::validate {

struct LayerGrid {
  std::string target = "cpu";
  std::int64_t ranks = 2;
  std::vector<std::int64_t> experts{8};
  std::vector<double> capacity_factor{1.0};
  std::vector<std::int64_t> tokens{1024};
  std::vector<std::int64_t> d_model{256};
  std::vector<std::int64_t> d_ff{1024};
  std::string ffn = "relu";
  std::int64_t top_k = 1;
  std::string padding = "capacity";
  std::string routing = "uniform";
  std::uint64_t seed = 1;
  std::int64_t min_capacity = 4;
  bool aux_loss = true;
};

// experts x capacity factors x tokens x d_model x d_ff, in that nesting order.
std::vector<ref::LayerSpec> layer_spec_grid(const LayerGrid& o);

}  // namespace switchsim::validate
