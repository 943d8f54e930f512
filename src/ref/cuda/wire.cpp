#include "ref/cuda/wire.hpp"

namespace switchsim::ref::cuda::wire {
namespace {

nlohmann::json to_json(const TimingStats& t) {
  return {{"median_s", t.median_s}, {"p10_s", t.p10_s}, {"p90_s", t.p90_s}, {"repeats", t.repeats}};
}
TimingStats stats_from_json(const nlohmann::json& j) {
  return {j.at("median_s").get<double>(), j.at("p10_s").get<double>(), j.at("p90_s").get<double>(),
          j.at("repeats").get<std::int64_t>()};
}

}  // namespace

nlohmann::json to_json(const RunOptions& o) {
  return {{"warmup", o.warmup},
          {"repeats", o.repeats},
          {"device_count", o.device_count},
          {"dispatch", o.dispatch == DispatchImpl::einsum ? "einsum" : "kernels"},
          {"check", o.check},
          {"mpi", o.mpi}};
}

RunOptions run_options_from_json(const nlohmann::json& j) {
  RunOptions o;
  o.warmup = j.at("warmup").get<int>();
  o.repeats = j.at("repeats").get<int>();
  o.device_count = j.at("device_count").get<int>();
  o.dispatch = j.at("dispatch").get<std::string>() == "einsum" ? DispatchImpl::einsum : DispatchImpl::kernels;
  o.check = j.at("check").get<bool>();
  o.mpi = j.at("mpi").get<bool>();
  return o;
}

LayerSpec spec_from_json(const nlohmann::json& j) {
  LayerSpec s;
  s.target = j.at("target").get<std::string>();
  s.ranks = j.at("ranks").get<std::int64_t>();
  s.experts = j.at("experts").get<std::int64_t>();
  s.capacity_factor = j.at("capacity_factor").get<double>();
  s.tokens_per_rank = j.at("tokens_per_rank").get<std::int64_t>();
  s.d_model = j.at("d_model").get<std::int64_t>();
  s.d_ff = j.at("d_ff").get<std::int64_t>();
  s.ffn = j.at("ffn").get<std::string>();
  s.top_k = j.at("top_k").get<std::int64_t>();
  s.padding = j.at("padding").get<std::string>();
  s.dtype = j.at("dtype").get<std::string>();
  s.router_dtype = j.at("router_dtype").get<std::string>();
  s.routing = j.at("routing").get<std::string>();
  s.seed = j.at("seed").get<std::uint64_t>();
  s.min_capacity = j.at("min_capacity").get<std::int64_t>();
  s.backward = j.at("backward").get<bool>();
  s.aux_loss = j.at("aux_loss_enabled").get<bool>();
  return s;
}

nlohmann::json to_json(const CudaLayerResult& r) {
  const auto& m = r.measurement;
  nlohmann::json phases = nlohmann::json::object();
  for (const auto& [name, stats] : m.phases) phases[name] = to_json(stats);
  nlohmann::json j{{"spec", ref::to_json(m.spec)},
                   {"capacity", m.capacity},
                   {"dropped_token_frac", m.dropped_token_frac},
                   {"aux_loss", m.aux_loss},
                   {"phases", phases},
                   {"forward", to_json(m.forward)},
                   {"backward", to_json(m.backward)},
                   {"step", to_json(m.step)},
                   {"alltoall_mode", r.alltoall_mode},
                   {"expert_counts", r.expert_counts},
                   {"workspace_bytes", r.workspace_bytes},
                   {"nonfinite_tokens", r.nonfinite_tokens}};
  if (r.check_rel_err) j["check_rel_err"] = *r.check_rel_err;
  return j;
}

CudaLayerResult layer_result_from_json(const nlohmann::json& j) {
  CudaLayerResult r;
  auto& m = r.measurement;
  m.spec = spec_from_json(j.at("spec"));
  m.capacity = j.at("capacity").get<std::int64_t>();
  m.dropped_token_frac = j.at("dropped_token_frac").get<double>();
  m.aux_loss = j.at("aux_loss").get<double>();
  for (const auto& [name, stats] : j.at("phases").items()) m.phases[name] = stats_from_json(stats);
  m.forward = stats_from_json(j.at("forward"));
  m.backward = stats_from_json(j.at("backward"));
  m.step = stats_from_json(j.at("step"));
  r.alltoall_mode = j.at("alltoall_mode").get<std::string>();
  r.expert_counts = j.at("expert_counts").get<std::vector<std::int64_t>>();
  r.workspace_bytes = j.at("workspace_bytes").get<std::int64_t>();
  r.nonfinite_tokens = j.at("nonfinite_tokens").get<std::int64_t>();
  if (j.contains("check_rel_err")) r.check_rel_err = j.at("check_rel_err").get<double>();
  return r;
}

nlohmann::json to_json(const KernelBench& b) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : b.rows)
    rows.push_back({{"name", r.name},
                    {"time_s", r.time_s},
                    {"rate", r.rate},
                    {"unit", r.unit},
                    {"reference", r.reference},
                    {"goal", r.goal},
                    {"note", r.note}});
  return {{"peak_bf16_tflops", b.peak_bf16_tflops}, {"memcpy_gbps", b.memcpy_gbps}, {"rows", rows}};
}

KernelBench kernel_bench_from_json(const nlohmann::json& j) {
  KernelBench b;
  b.peak_bf16_tflops = j.at("peak_bf16_tflops").get<double>();
  b.memcpy_gbps = j.at("memcpy_gbps").get<double>();
  for (const auto& r : j.at("rows"))
    b.rows.push_back({r.at("name").get<std::string>(), r.at("time_s").get<double>(), r.at("rate").get<double>(),
                      r.at("unit").get<std::string>(), r.at("reference").get<double>(), r.at("goal").get<double>(),
                      r.at("note").get<std::string>()});
  return b;
}

nlohmann::json ok(nlohmann::json result) { return {{"ok", true}, {"result", std::move(result)}}; }

nlohmann::json error(const std::string& kind, const std::string& message) {
  return {{"ok", false}, {"error", kind}, {"message", message}};
}

nlohmann::json rethrow_if_error(const nlohmann::json& reply) {
  if (reply.at("ok").get<bool>()) return reply.at("result");
  const auto kind = reply.at("error").get<std::string>();
  const auto message = reply.at("message").get<std::string>();
  if (kind == "no_device") throw NoCudaDevice(message);
  if (kind == "invalid_argument") throw std::invalid_argument(message);
  throw std::runtime_error(message);
}

}  // namespace switchsim::ref::cuda::wire
