#include "cli/sweep_rows.hpp"

#include "model/model_stats.hpp"

namespace switchsim::cli {

report::ResultRow to_result_row(const sweep::PointOutcome& o) {
  report::ResultRow row;
  const auto& s = o.scenario;
  if (o.inputs) {
    const auto& in = *o.inputs;
    const auto cols = model::input_columns(in);
    row.model = in.model.name;
    row.experts = in.model.experts.value_or(0);
    row.capacity_factor = in.capacity_factor;
    row.top_k = in.model.is_moe() ? in.model.top_k : 0;
    row.batch_tokens = in.batch_tokens;
    row.devices = in.cluster.devices;
    row.cluster = in.cluster.name;
    row.layout = in.layout.text();
    row.routing = in.routing.text;
    row.padding = cols["padding"].get<std::string>();
    row.dispatch = cols["dispatch"].get<std::string>();
  } else {
    // The point could not be built: echo what was asked.
    row.model = s.model;
    row.experts = s.experts.value_or(0);
    row.capacity_factor = s.capacity_factor.value_or(0.0);
    row.top_k = s.top_k.value_or(0);
    row.batch_tokens = s.batch_tokens;
    row.cluster = s.cluster;
    row.devices = o.devices;
    row.layout = s.layout.empty() ? "auto" : s.layout;
    row.routing = s.routing;
    row.padding = s.padding;
    row.dispatch = s.dispatch.value_or("");
  }
  row.seed = s.seed;
  row.valid = o.result.has_value();
  row.invalid_reason = o.invalid_reason;
  if (o.result && o.inputs) {
    const auto& r = *o.result;
    const auto stats = model::compute_stats(o.inputs->model);
    report::ResultOutputs out;
    out.step_time_s = r.step_time.seconds();
    out.tokens_per_s = r.tokens_per_s;
    out.examples_per_s = r.examples_per_s;
    out.mfu = r.mfu;
    out.dropped_token_frac = r.dropped_token_frac;
    out.aux_loss = r.aux_loss;
    out.mem_per_device_bytes = r.memory.total().as_double();
    out.hbm_bytes = r.memory.capacity.as_double();
    out.oom = r.memory.oom();
    out.params_total = static_cast<double>(stats.params_total);
    out.flops_per_token = stats.flops_per_token_forward;
    for (std::size_t i = 0; i < report::kStepPhases.size(); ++i) {
      const auto it = r.phase_time.find(std::string(report::kStepPhases[i]));
      out.phase_time_s[i] = it == r.phase_time.end() ? 0.0 : it->second.seconds();
    }
    out.dense_baseline_step_time_s = o.dense_baseline_step_time_s;
    row.outputs = out;
  }
  return row;
}

}  // namespace switchsim::cli
