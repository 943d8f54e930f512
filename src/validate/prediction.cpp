#include "validate/prediction.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "comm/closed_form.hpp"
#include "comm/flow_comm.hpp"
#include "config/device_band.hpp"
#include "config/dtype.hpp"
#include "config/object_reader.hpp"
#include "model/cuda_layer_prediction.hpp"
#include "report/validation_errors.hpp"
#include "validate/errors.hpp"

namespace switchsim::validate {

std::unique_ptr<model::CommModel> comm_model(const config::ClusterConfig& cluster, const std::string& kind) {
  if (kind == "closed-form") return comm::closed_form_comm(cluster);
  if (kind == "flow") return std::make_unique<comm::FlowComm>(cluster);
  throw RequestError("--comm must be closed-form or flow, got \"" + kind + "\"");
}

model::LayerScenario scenario_of(const ref::LayerSpec& s) {
  model::LayerScenario sc;
  sc.d_model = s.d_model;
  sc.d_ff = s.d_ff;
  sc.ffn = s.ffn == "geglu" ? config::FfnKind::geglu : config::FfnKind::relu;
  sc.experts = s.experts;
  sc.top_k = s.top_k;
  sc.capacity_factor = s.capacity_factor;
  sc.tokens_per_rank = s.tokens_per_rank;
  sc.ranks = s.ranks;
  sc.min_capacity = s.min_capacity;
  sc.padding = s.padding == "dropless" ? model::Padding::dropless : model::Padding::capacity;
  sc.routing = model::parse_routing(s.routing);
  sc.seed = s.seed;
  sc.dtype = parse_dtype(s.dtype);
  sc.router_dtype = parse_dtype(s.router_dtype);
  return sc;
}

std::shared_ptr<const model::RoutingTrace> measured_load(const ref::LayerSpec& spec, const nlohmann::json& row) {
  const bool cpu_counts = row.contains("expert_assignments");
  const char* key = cpu_counts ? "expert_assignments" : "expert_tokens";
  if (!row.contains(key) || (!cpu_counts && spec.target != "cuda")) return nullptr;
  auto trace = std::make_shared<model::RoutingTrace>();
  trace->file = std::string("measured ") + key;
  trace->experts = spec.experts;
  trace->top_k = spec.top_k;
  trace->tokens_per_group = cpu_counts ? spec.tokens_per_rank * spec.ranks : spec.tokens_per_rank;
  model::RoutingTraceStep step;
  step.counts = row.at(key).get<std::vector<std::int64_t>>();
  if (static_cast<std::int64_t>(step.counts.size()) != spec.experts)
    throw RequestError(fmt::format("{} has {} entries for {} experts", key, step.counts.size(), spec.experts));
  trace->steps.push_back(std::move(step));
  return trace;
}

model::LayerScenario scenario_of_row(const ref::LayerSpec& spec, const nlohmann::json& row) {
  auto scenario = scenario_of(spec);
  if (scenario.routing.kind == model::RoutingSpec::Kind::uniform) return scenario;
  auto trace = measured_load(spec, row);
  if (!trace)
    throw RequestError(fmt::format("routing {}: the measured row has no per-expert counts (expert_assignments) to "
                                   "predict the same load from",
                                   spec.routing));
  scenario.routing.kind = model::RoutingSpec::Kind::trace;
  scenario.routing.trace = std::move(trace);
  return scenario;
}

void add_prediction(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                    const std::string& comm_kind) {
  if (spec.ranks > cluster.devices)
    throw RequestError(fmt::format("the profile's cluster {} has {} ranks but the layer runs on {}; calibrate with "
                                 "--ranks {}",
                                 cluster.name, cluster.devices, spec.ranks, spec.ranks));
  // Each reference is predicted with its own algorithm: the CUDA one kernel by kernel.
  const auto scenario = scenario_of_row(spec, row);
  auto predict = [&spec, &scenario](const config::ClusterConfig& c, model::CommModel& m) {
    return spec.target == "cuda" ? model::predict_cuda_layer(scenario, c, m) : model::predict_layer(scenario, c, m);
  };
  auto comm = comm_model(cluster, comm_kind);
  model::LayerPrediction p;
  try {
    p = predict(cluster, *comm);
  } catch (const std::invalid_argument& e) {
    throw RequestError(e.what());
  }
  auto put = [&](const std::string& name, Picoseconds t) {
    const double predicted = t.seconds();
    row[name + "_time_s"] = predicted;
    const auto measured = row.value("measured_" + name + "_time_s", 0.0);
    const auto err = report::relative_error(predicted, measured);
    row["err_" + name + (name == "step" ? "_time" : "")] = err ? nlohmann::json(*err) : nlohmann::json(nullptr);
  };
  for (auto phase : ref::kLayerPhases) put(std::string(phase), p.phase.at(std::string(phase)));
  put("forward", p.forward);
  put("backward", p.backward);
  put("step", p.step);
  row["predicted_capacity"] = p.capacity;
  row["predicted_dropped_token_frac"] = p.dropped_token_frac;
  // The uncertainty band: the same prediction on the device at the fast and slow ends of its
  // calibrated spreads (p90 and p10 rates). The network's figures have no spread in the files.
  if (!config::has_bands(cluster.device)) return;
  auto at_edge = [&](config::BandEdge edge) {
    auto c = cluster;
    c.device = config::at_band_edge(cluster.device, edge);
    auto edge_comm = comm_model(c, comm_kind);
    return predict(c, *edge_comm).step.seconds();
  };
  const double lo = at_edge(config::BandEdge::fast), hi = at_edge(config::BandEdge::slow);
  row["step_time_s_lo"] = lo;
  row["step_time_s_hi"] = hi;
  const double measured = row.value("measured_step_time_s", 0.0);
  row["measured_within_band"] = measured >= lo && measured <= hi;
}

void add_profile_columns(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                         const std::string& comm_kind) {
  auto comm = comm_model(cluster, comm_kind);
  const double predicted = model::predict_layer(scenario_of_row(spec, row), cluster, *comm).step.seconds();
  row["profile_step_time_s"] = predicted;
  const auto err = report::relative_error(predicted, row.value("measured_step_time_s", 0.0));
  row["profile_err_step_time"] = err ? nlohmann::json(*err) : nlohmann::json(nullptr);
}

ref::LayerSpec spec_of_row(const nlohmann::json& row, const std::string& file, const std::string& pointer) {
  config::ObjectReader r(row, file, pointer);
  ref::LayerSpec s;
  s.target = r.string_or("target", "cpu");
  s.ranks = r.positive_int("ranks");
  s.experts = r.positive_int("experts");
  s.capacity_factor = r.positive_number("capacity_factor");
  s.tokens_per_rank = r.positive_int("tokens_per_rank");
  s.d_model = r.positive_int("d_model");
  s.d_ff = r.positive_int("d_ff");
  s.ffn = r.choice_or("ffn", {"relu", "geglu"}, "relu");
  s.top_k = r.positive_int_or("top_k", 1);
  s.padding = r.choice_or("padding", {"capacity", "dropless"}, "capacity");
  s.dtype = r.string_or("dtype", "fp32");
  s.router_dtype = r.string_or("router_dtype", "fp32");
  s.routing = r.string_or("routing", "uniform");
  s.seed = static_cast<std::uint64_t>(r.non_negative_int_or("seed", 1));
  s.min_capacity = r.positive_int_or("min_capacity", 4);
  (void)r.positive_number("measured_step_time_s");
  return s;
}

}  // namespace switchsim::validate
