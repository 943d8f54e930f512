#include "report/measured_row.hpp"

#include <fmt/format.h>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "report/field_readers.hpp"

namespace switchsim::report {
namespace {

// Inputs that, when present, make a point recognisable in a table.
std::string label_of(const nlohmann::json& row, std::int64_t experts, double cf) {
  std::string label;
  const auto add = [&label](const std::string& part) { label += (label.empty() ? "" : " ") + part; };
  for (const char* key : {"model", "cluster", "target"})
    if (row.contains(key) && row[key].is_string()) add(row[key].get<std::string>());
  add(fmt::format("E={}", experts));
  add(fmt::format("cf={:g}", cf));
  for (const char* key : {"devices", "ranks", "tokens_per_rank", "batch_tokens"})
    if (row.contains(key) && row[key].is_number()) add(fmt::format("{}={}", key, row[key].dump()));
  for (const char* key : {"routing", "padding"})
    if (row.contains(key) && row[key].is_string() && row[key].get<std::string>() != (std::string(key) == "routing" ? "uniform" : "capacity"))
      add(row[key].get<std::string>());
  return label;
}

MeasuredRow parse_row(const nlohmann::json& object, const std::string& name, const std::string& pointer) {
  config::ObjectReader r(object, name, pointer);
  MeasuredRow row;
  row.experts = r.positive_int("experts");
  row.capacity_factor = r.positive_number("capacity_factor");
  row.step_time_s = detail::positive_number(r, "step_time_s");
  row.measured_step_time_s = detail::positive_number(r, "measured_step_time_s");
  if (r.has("measured_step_time_s_p10"))
    row.measured_step_time_s_p10 = detail::positive_number(r, "measured_step_time_s_p10");
  if (r.has("measured_step_time_s_p90"))
    row.measured_step_time_s_p90 = detail::positive_number(r, "measured_step_time_s_p90");
  if (r.has("step_time_s_lo") || r.has("step_time_s_hi")) {  // both or neither
    row.step_time_s_lo = detail::positive_number(r, "step_time_s_lo");
    row.step_time_s_hi = detail::positive_number(r, "step_time_s_hi");
  }
  if (r.has("profile_step_time_s")) row.profile_step_time_s = detail::positive_number(r, "profile_step_time_s");
  for (auto phase : kStepPhases) {
    const std::string predicted = std::string(phase) + "_time_s";
    const std::string measured = "measured_" + predicted;
    if (r.has(predicted) && r.has(measured))
      row.phases[std::string(phase)] = {detail::non_negative_number(r, predicted), detail::non_negative_number(r, measured)};
  }
  row.label = label_of(object, row.experts, row.capacity_factor);
  return row;
}

}  // namespace

MeasuredFile parse_measured(const nlohmann::json& document, const std::string& name) {
  config::ObjectReader top(document, name);
  MeasuredFile file;
  file.name = name;
  file.context = top.has("context") ? parse_context(top.raw("context"), name, "/context") : RunContext{};
  const auto& rows = top.array("results");
  for (std::size_t i = 0; i < rows.size(); ++i)
    file.results.push_back(parse_row(rows[i], name, "/results/" + std::to_string(i)));
  return file;
}

MeasuredFile read_measured_file(const std::filesystem::path& path) {
  return parse_measured(config::load_json_file(path), path.string());
}

}  // namespace switchsim::report
