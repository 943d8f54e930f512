#include "report/results_writer.hpp"

#include <fmt/format.h>

namespace switchsim::report {
namespace {

std::string number(double v) { return fmt::format("{:.6g}", v); }
std::string flag(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::vector<std::string> results_csv_columns() {
  std::vector<std::string> columns{"model",   "experts", "capacity_factor", "top_k",   "batch_tokens",
                                   "devices", "cluster", "layout",          "routing", "padding", "dispatch",
                                   "seed",    "valid",   "invalid_reason",  "step_time_s",
                                   "tokens_per_s", "examples_per_s", "mfu", "dropped_token_frac", "aux_loss",
                                   "mem_per_device_bytes", "hbm_bytes", "oom", "params_total", "flops_per_token"};
  for (auto phase : kStepPhases) columns.push_back(std::string(phase) + "_time_s");
  columns.emplace_back("dense_baseline_step_time_s");
  return columns;
}

std::string write_results_csv(const std::vector<ResultRow>& rows, const RunContext& context) {
  std::string out;
  for (const auto& [key, value] : context.entries) {
    std::string one_line = value;
    for (char& c : one_line)
      if (c == '\n' || c == '\r') c = ' ';
    out += fmt::format("# {}: {}\n", key, one_line);
  }
  const auto columns = results_csv_columns();
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  out += '\n';
  for (const auto& row : rows) {
    std::vector<std::string> f{csv_field(row.model),   std::to_string(row.experts), number(row.capacity_factor),
                               std::to_string(row.top_k), std::to_string(row.batch_tokens),
                               std::to_string(row.devices), csv_field(row.cluster), csv_field(row.layout),
                               csv_field(row.routing), csv_field(row.padding), csv_field(row.dispatch), std::to_string(row.seed),
                               flag(row.valid), csv_field(row.invalid_reason)};
    if (row.outputs) {
      const auto& o = *row.outputs;
      for (double v : {o.step_time_s, o.tokens_per_s, o.examples_per_s, o.mfu, o.dropped_token_frac, o.aux_loss,
                       o.mem_per_device_bytes, o.hbm_bytes})
        f.push_back(number(v));
      f.push_back(flag(o.oom));
      f.push_back(number(o.params_total));
      f.push_back(number(o.flops_per_token));
      for (double v : o.phase_time_s) f.push_back(number(v));
      f.push_back(o.dense_baseline_step_time_s ? number(*o.dense_baseline_step_time_s) : "");
    }
    f.resize(columns.size());  // an invalid point: empty outputs
    for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    out += '\n';
  }
  return out;
}

std::string write_results_json(const std::vector<ResultRow>& rows, const RunContext& context) {
  nlohmann::ordered_json doc;
  doc["context"] = to_json(context);
  doc["results"] = nlohmann::ordered_json::array();
  for (const auto& row : rows) doc["results"].push_back(to_json(row));
  return doc.dump(2) + "\n";
}

}  // namespace switchsim::report
