#pragma once
// A simulation point as a user states it (names and overrides), turned into validated
// StepInputs, and the row that reports it. simulate, sweep and advise all go through here.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/catalog.hpp"
#include "model/step_inputs.hpp"
#include "model/step_result.hpp"

namespace switchsim::model {

struct Scenario {
  std::string model;    // name or path
  std::string cluster;  // name or path
  std::optional<std::int64_t> experts;
  std::optional<double> capacity_factor;  // default: the model's training capacity factor
  std::optional<std::int64_t> top_k;
  std::int64_t batch_tokens = 1 << 20;    // encoder tokens per step (the paper: about 1M)
  std::optional<std::int64_t> seq_len;    // overrides seq_len_input
  std::string layout;                     // "" = all data parallel, experts over the data axis
  std::string routing = "uniform";
  std::uint64_t seed = 1;
  std::optional<std::string> router_dtype;
  std::optional<std::string> compute_dtype;
  std::string padding = "capacity";
  std::string optimizer = "adafactor";
  std::int64_t microbatches = 1;
  bool overlap = true;
  std::string alltoall_algorithm = "direct";
  std::string allreduce_algorithm = "auto";
  std::optional<std::string> dispatch;        // default: the device profile's
  std::optional<std::int64_t> group_size;     // einsum's S; default: Mesh TensorFlow's 1024
  std::string remat = "none";
  std::optional<std::string> matmul_precision;  // TPU only; default: the profile's passes
};

// Loads the named configs and applies the overrides. Throws config::ConfigError for bad
// files and std::invalid_argument (message naming the option) for bad values.
StepInputs make_inputs(const Scenario& scenario, const config::Catalog& catalog);

// The input columns of a result row (model, experts, capacity_factor, ..., layout, routing).
nlohmann::json input_columns(const StepInputs& inputs);

}  // namespace switchsim::model
