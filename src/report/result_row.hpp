#pragma once
// One row of a sweep's results.json, typed: the inputs of a simulated point and, when the
// point is valid, what the simulator predicted for it. Column names follow shared/DESIGN.md
// (outputs carry their unit in the name). This is the contract between `switchsim sweep`
// (writer) and `switchsim report` (reader).

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchsim::report {

// The phases of one training step, in the order the stacked plot draws them (the same list
// and order as model::kStepPhases, which the simulator fills). Each has a column
// `<phase>_time_s` in a result row; those in kOptionalStepPhases may be absent (read as 0).
inline constexpr std::array<std::string_view, 13> kStepPhases{
    "embedding", "attention",        "dense_ffn", "router",       "dispatch",  "alltoall_dispatch", "expert_ffn",
    "alltoall_combine", "combine",   "mp_allreduce", "allreduce", "optimizer", "other"};
inline constexpr std::array<std::string_view, 3> kOptionalStepPhases{"embedding", "mp_allreduce", "other"};

// Where a result came from: ordered key/value pairs (tool, git_sha, date, command, ...).
// Non-string JSON values are kept as their JSON text.
struct RunContext {
  std::vector<std::pair<std::string, std::string>> entries;
  std::optional<std::string> get(std::string_view key) const;
};

// What the simulator predicts for a valid point.
struct ResultOutputs {
  double step_time_s = 0;
  double tokens_per_s = 0;
  double examples_per_s = 0;
  double mfu = 0;
  double dropped_token_frac = 0;
  double aux_loss = 0;
  double mem_per_device_bytes = 0;
  double hbm_bytes = 0;
  bool oom = false;
  double params_total = 0;
  double flops_per_token = 0;
  std::array<double, kStepPhases.size()> phase_time_s{};  // indexed like kStepPhases
  // Step time of the dense model of equal FLOPs per token on the same cluster; optional.
  std::optional<double> dense_baseline_step_time_s;

  double phase(std::string_view name) const;
  // (alltoall_dispatch + alltoall_combine) / step_time_s.
  double alltoall_share() const;
};

struct ResultRow {
  // Inputs.
  std::string model;
  std::int64_t experts = 0;
  double capacity_factor = 0;
  std::int64_t top_k = 1;
  std::int64_t batch_tokens = 0;
  std::int64_t devices = 0;
  std::string cluster;
  std::string layout;
  std::string routing;
  std::string padding;
  std::string dispatch;  // einsum | scatter | grouped; empty in files written before it existed
  std::uint64_t seed = 0;
  // Validity: an invalid point (e.g. experts not dividing the devices) has a reason and no
  // outputs; a valid one always has outputs.
  bool valid = true;
  std::string invalid_reason;
  std::optional<ResultOutputs> outputs;

  // Valid, predicted, and fits in memory.
  bool usable() const { return valid && outputs && !outputs->oom; }
};

struct ResultsFile {
  RunContext context;
  std::vector<ResultRow> results;
};

// Parses {"context": {...}, "results": [rows]}. Errors are config::ConfigError naming `name`
// and the JSON pointer (`/results/3/step_time_s: required field is missing`). Columns the
// row type does not know are accepted and ignored. Output columns are required only when
// the row is valid.
ResultsFile parse_results(const nlohmann::json& document, const std::string& name);
ResultsFile read_results_file(const std::filesystem::path& path);

RunContext parse_context(const nlohmann::json& object, const std::string& name, const std::string& pointer);

// Schema order; outputs omitted for invalid rows.
nlohmann::ordered_json to_json(const ResultRow& row);
nlohmann::ordered_json to_json(const RunContext& context);

}  // namespace switchsim::report
