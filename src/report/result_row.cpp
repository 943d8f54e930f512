#include "report/result_row.hpp"

#include <algorithm>

#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "report/field_readers.hpp"

namespace switchsim::report {

std::optional<std::string> RunContext::get(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return v;
  return std::nullopt;
}

double ResultOutputs::phase(std::string_view name) const {
  for (std::size_t i = 0; i < kStepPhases.size(); ++i)
    if (kStepPhases[i] == name) return phase_time_s[i];
  return 0.0;
}

double ResultOutputs::alltoall_share() const {
  return step_time_s > 0 ? (phase("alltoall_dispatch") + phase("alltoall_combine")) / step_time_s : 0.0;
}

RunContext parse_context(const nlohmann::json& object, const std::string& name, const std::string& pointer) {
  config::ObjectReader reader(object, name, pointer);  // checks that it is an object
  RunContext context;
  for (const auto& [key, value] : object.items())
    context.entries.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  return context;
}

namespace {

ResultOutputs parse_outputs(config::ObjectReader& r) {
  using detail::non_negative_number;
  ResultOutputs o;
  o.step_time_s = detail::positive_number(r, "step_time_s");
  o.tokens_per_s = non_negative_number(r, "tokens_per_s");
  o.examples_per_s = non_negative_number(r, "examples_per_s");
  o.mfu = non_negative_number(r, "mfu");
  o.dropped_token_frac = non_negative_number(r, "dropped_token_frac");
  if (r.has("aux_loss_proxy")) {
    o.aux_loss_proxy = non_negative_number(r, "aux_loss_proxy");
    if (r.has("aux_loss")) o.aux_loss = non_negative_number(r, "aux_loss");
  } else {
    o.aux_loss_proxy = non_negative_number(r, "aux_loss");  // written before the rename
  }
  o.mem_per_device_bytes = non_negative_number(r, "mem_per_device_bytes");
  o.hbm_bytes = detail::positive_number(r, "hbm_bytes");
  o.oom = detail::boolean(r, "oom");
  o.params_total = non_negative_number(r, "params_total");
  o.flops_per_token = non_negative_number(r, "flops_per_token");
  for (std::size_t i = 0; i < kStepPhases.size(); ++i) {
    const std::string column = std::string(kStepPhases[i]) + "_time_s";
    const bool optional =
        std::find(kOptionalStepPhases.begin(), kOptionalStepPhases.end(), kStepPhases[i]) != kOptionalStepPhases.end();
    o.phase_time_s[i] = optional && !r.has(column) ? 0.0 : non_negative_number(r, column);
  }
  if (r.has("dense_baseline_step_time_s"))
    o.dense_baseline_step_time_s = detail::positive_number(r, "dense_baseline_step_time_s");
  return o;
}

ResultRow parse_row(const nlohmann::json& object, const std::string& name, const std::string& pointer) {
  config::ObjectReader r(object, name, pointer);
  ResultRow row;
  row.model = r.string("model");
  // Dense models (experts 0, top_k 0) and points that could not be built (capacity factor
  // not resolved: 0) are legitimate rows.
  row.experts = r.non_negative_int_or("experts", 0);
  row.capacity_factor = detail::non_negative_number(r, "capacity_factor");
  row.top_k = r.non_negative_int_or("top_k", 0);
  row.batch_tokens = r.positive_int("batch_tokens");
  row.devices = r.positive_int("devices");
  row.cluster = r.string("cluster");
  row.layout = r.string("layout");
  row.routing = r.string("routing");
  row.padding = r.string("padding");
  row.dispatch = detail::any_string_or_empty(r, "dispatch");  // absent in files older than the column
  row.seed = detail::unsigned_int(r, "seed");
  row.valid = detail::boolean(r, "valid");
  row.invalid_reason = detail::any_string_or_empty(r, "invalid_reason");
  if (row.valid) {
    row.outputs = parse_outputs(r);
  } else if (row.invalid_reason.empty()) {
    r.fail("invalid_reason", "an invalid point (valid: false) must say why");
  }
  return row;
}

}  // namespace

ResultsFile parse_results(const nlohmann::json& document, const std::string& name) {
  config::ObjectReader top(document, name);
  ResultsFile file;
  file.context = parse_context(top.raw("context"), name, "/context");
  const auto& rows = top.array("results");
  for (std::size_t i = 0; i < rows.size(); ++i)
    file.results.push_back(parse_row(rows[i], name, "/results/" + std::to_string(i)));
  return file;
}

ResultsFile read_results_file(const std::filesystem::path& path) {
  return parse_results(config::load_json_file(path), path.string());
}

nlohmann::ordered_json to_json(const RunContext& context) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : context.entries) j[k] = v;
  return j;
}

nlohmann::ordered_json to_json(const ResultRow& row) {
  nlohmann::ordered_json j;
  j["model"] = row.model;
  j["experts"] = row.experts;
  j["capacity_factor"] = row.capacity_factor;
  j["top_k"] = row.top_k;
  j["batch_tokens"] = row.batch_tokens;
  j["devices"] = row.devices;
  j["cluster"] = row.cluster;
  j["layout"] = row.layout;
  j["routing"] = row.routing;
  j["padding"] = row.padding;
  j["dispatch"] = row.dispatch;
  j["seed"] = row.seed;
  j["valid"] = row.valid;
  j["invalid_reason"] = row.invalid_reason;
  if (row.outputs) {
    const auto& o = *row.outputs;
    j["step_time_s"] = o.step_time_s;
    j["tokens_per_s"] = o.tokens_per_s;
    j["examples_per_s"] = o.examples_per_s;
    j["mfu"] = o.mfu;
    j["dropped_token_frac"] = o.dropped_token_frac;
    if (o.aux_loss) j["aux_loss"] = *o.aux_loss;
    j["aux_loss_proxy"] = o.aux_loss_proxy;
    j["mem_per_device_bytes"] = o.mem_per_device_bytes;
    j["hbm_bytes"] = o.hbm_bytes;
    j["oom"] = o.oom;
    j["params_total"] = o.params_total;
    j["flops_per_token"] = o.flops_per_token;
    for (std::size_t i = 0; i < kStepPhases.size(); ++i) j[std::string(kStepPhases[i]) + "_time_s"] = o.phase_time_s[i];
    if (o.dense_baseline_step_time_s) j["dense_baseline_step_time_s"] = *o.dense_baseline_step_time_s;
  }
  return j;
}

}  // namespace switchsim::report
