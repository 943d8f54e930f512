#include "model/step_graph.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/dispatch_cost.hpp"
#include "model/model_stats.hpp"
#include "units/checked.hpp"

namespace switchsim::model {
namespace {

std::vector<CommAlgorithm> auto_candidates(CommOp op) {
  switch (op) {
    case CommOp::allreduce: return {CommAlgorithm::ring, CommAlgorithm::tree, CommAlgorithm::hierarchical};
    case CommOp::alltoall:
    case CommOp::alltoallv: return {CommAlgorithm::direct, CommAlgorithm::hierarchical};
    default: return {CommAlgorithm::ring};
  }
}

// Device ids of concurrent groups. Device id = data_rank * tp + tp_rank.
std::vector<std::vector<std::int32_t>> expert_groups(const ParallelLayout& l) {
  std::vector<std::vector<std::int32_t>> groups;
  for (std::int64_t t = 0; t < l.tp; ++t)
    for (std::int64_t r = 0; r < l.expert_replicas(); ++r) {
      std::vector<std::int32_t> g;
      for (std::int64_t i = 0; i < l.ep; ++i) g.push_back(static_cast<std::int32_t>((r * l.ep + i) * l.tp + t));
      groups.push_back(std::move(g));
    }
  return groups;
}
std::vector<std::vector<std::int32_t>> data_groups(const ParallelLayout& l) {
  std::vector<std::vector<std::int32_t>> groups;
  for (std::int64_t t = 0; t < l.tp; ++t) {
    std::vector<std::int32_t> g;
    for (std::int64_t d = 0; d < l.dp; ++d) g.push_back(static_cast<std::int32_t>(d * l.tp + t));
    groups.push_back(std::move(g));
  }
  return groups;
}
std::vector<std::vector<std::int32_t>> replica_groups(const ParallelLayout& l) {
  std::vector<std::vector<std::int32_t>> groups;
  for (std::int64_t t = 0; t < l.tp; ++t)
    for (std::int64_t i = 0; i < l.ep; ++i) {
      std::vector<std::int32_t> g;
      for (std::int64_t r = 0; r < l.expert_replicas(); ++r)
        g.push_back(static_cast<std::int32_t>((r * l.ep + i) * l.tp + t));
      groups.push_back(std::move(g));
    }
  return groups;
}
std::vector<std::vector<std::int32_t>> model_groups(const ParallelLayout& l) {
  std::vector<std::vector<std::int32_t>> groups;
  for (std::int64_t d = 0; d < l.dp; ++d) {
    std::vector<std::int32_t> g;
    for (std::int64_t t = 0; t < l.tp; ++t) g.push_back(static_cast<std::int32_t>(d * l.tp + t));
    groups.push_back(std::move(g));
  }
  return groups;
}

// Builds the step's task graph for the critical device: a compute stream and a
// communication stream, forward then backward per microbatch, gradient buckets per layer.
class StepBuilder {
 public:
  StepBuilder(CommModel& comm, const CommWiring& wiring) : comm_(comm), session_(wiring.session) {
    compute_ = graph_.add_resource("compute");
    network_ = graph_.add_resource("comm");
    gradient_network_ = wiring.gradient_stream ? graph_.add_resource("grad_comm") : network_;
  }

  engine::TaskId compute(const std::string& name, const std::string& category, Picoseconds duration) {
    return chain(graph_.add_task(name, category, compute_, duration));
  }
  // `algorithm` absent: "auto", the fastest candidate for this request.
  engine::TaskId communicate(const std::string& name, const std::string& category, const CommRequest& request,
                             std::optional<CommAlgorithm> algorithm) {
    return chain(comm_task(name, category, network_, request, algorithm));
  }
  // A gradient all-reduce: on the gradient stream, not holding up the compute chain (overlapped).
  engine::TaskId communicate_aside(const std::string& name, const std::string& category, const CommRequest& request,
                                   std::optional<CommAlgorithm> algorithm, engine::TaskId after) {
    const auto id = comm_task(name, category, gradient_network_, request, algorithm);
    graph_.add_dependency(after, id);
    aside_.push_back(id);
    return id;
  }
  engine::TaskId last() const { return *last_; }
  void record_links(bool on) { record_links_ = on; }

  const std::vector<engine::TaskId>& aside() const { return aside_; }
  engine::TaskGraph& graph() { return graph_; }
  StepGraph finish() && { return StepGraph{std::move(graph_), std::move(link_peaks_), {}, std::move(comm_tasks_)}; }

 private:
  // "auto" picks the fastest algorithm for this request, each candidate timed alone, as
  // NCCL's tuner picks per size and scale without knowing the other traffic.
  std::pair<CommRequest, Picoseconds> resolve(CommRequest request, std::optional<CommAlgorithm> choice) {
    if (choice) {
      request.algorithm = *choice;
      const Picoseconds t = comm_.time(request);
      return {std::move(request), t};
    }
    std::optional<std::pair<CommRequest, Picoseconds>> best;
    for (const CommAlgorithm algorithm : auto_candidates(request.op)) {
      request.algorithm = algorithm;
      const Picoseconds t = comm_.time(request);
      if (!best || t < best->second) best.emplace(request, t);
    }
    return std::move(*best);
  }
  // What a request's tasks share: the chosen algorithm's duration, its co-simulated start and
  // link peaks. The same collective recurs per layer, microbatch, direction and recompute;
  // resolving (and copying 1,024-device group lists) per task was most of an advise search.
  struct Resolved {
    Picoseconds duration;
    std::optional<engine::ExternalStart> start;
    std::map<std::string, double> peaks;
  };
  const Resolved& resolved(const CommRequest& request, std::optional<CommAlgorithm> algorithm) {
    const auto key = std::make_pair(&request, algorithm);
    if (auto it = resolved_.find(key); it != resolved_.end()) return it->second;
    auto [chosen, duration] = resolve(request, algorithm);
    Resolved r{duration, std::nullopt, {}};
    if (session_) r.start = session_->task(chosen);
    // The trace shows the links of the chosen algorithm, timed alone.
    if (record_links_) r.peaks = comm_.link_class_peaks(chosen);
    return resolved_.emplace(key, std::move(r)).first->second;
  }
  // `request` must outlive the builder: it is resolved once, by address (build_step_graph keeps
  // each distinct request in a node-stable map).
  engine::TaskId comm_task(const std::string& name, const std::string& category, engine::ResourceId stream,
                           const CommRequest& request, std::optional<CommAlgorithm> algorithm) {
    const Resolved& r = resolved(request, algorithm);
    const auto id = r.start ? graph_.add_external(name, category, stream, *r.start)
                            : graph_.add_task(name, category, stream, r.duration);
    comm_tasks_.push_back(id);
    if (!r.peaks.empty()) link_peaks_.emplace(id, r.peaks);
    return id;
  }
  engine::TaskId chain(engine::TaskId id) {
    if (last_) graph_.add_dependency(*last_, id);
    last_ = id;
    return id;
  }

  CommModel& comm_;
  CommSession* session_;
  engine::TaskGraph graph_;
  engine::ResourceId compute_{};
  engine::ResourceId network_{};
  engine::ResourceId gradient_network_{};
  std::optional<engine::TaskId> last_;
  std::vector<engine::TaskId> aside_;
  std::vector<engine::TaskId> comm_tasks_;
  bool record_links_ = false;
  std::map<engine::TaskId, std::map<std::string, double>> link_peaks_;
  std::map<std::pair<const CommRequest*, std::optional<CommAlgorithm>>, Resolved> resolved_;
};

}  // namespace

StepGraph build_step_graph(const StepInputs& in, const StepPlan& plan, const PhaseCosts& costs, CommModel& comm,
                           const MemoryBreakdown& memory, bool record_trace, const CommWiring& wiring) {
  const auto& m = in.model;
  const ModelStats stats = compute_stats(m);
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t d = m.d_model;
  const std::int64_t tp = in.layout.tp;

  const auto egroups = m.is_moe() ? expert_groups(in.layout) : std::vector<std::vector<std::int32_t>>{};
  const auto dgroups = data_groups(in.layout);
  const auto rgroups = replica_groups(in.layout);
  const auto mgroups = model_groups(in.layout);

  // Each distinct request is built once (node-stable maps: the builder resolves by address).
  std::map<const SwitchPlan*, CommRequest> alltoall_requests;
  auto alltoall = [&](const SwitchPlan& load) -> const CommRequest& {
    auto [it, fresh] = alltoall_requests.try_emplace(&load);
    CommRequest& r = it->second;
    if (!fresh) return r;
    r.groups = egroups;
    if (in.padding == Padding::dropless) {
      r.op = CommOp::alltoallv;
      r.matrix = load.matrix;
    } else {
      r.op = CommOp::alltoall;
      r.bytes_per_rank = load.alltoall_bytes_per_rank;
    }
    return r;
  };
  std::map<std::int64_t, CommRequest> mp_allreduce_requests;  // by rows
  auto mp_allreduce = [&](std::int64_t rows) -> const CommRequest& {
    auto [it, fresh] = mp_allreduce_requests.try_emplace(rows);
    CommRequest& r = it->second;
    if (!fresh) return r;
    r.op = CommOp::allreduce;
    r.groups = mgroups;
    r.bytes_per_rank = Bytes(size_product("model-parallel all-reduce bytes", {rows, d, b}));
    return r;
  };
  // By parameter count and group list (data-parallel or expert-replica groups).
  std::map<std::pair<std::int64_t, const void*>, CommRequest> grad_allreduce_requests;
  auto grad_allreduce = [&](std::int64_t params, const std::vector<std::vector<std::int32_t>>& groups)
      -> const CommRequest& {
    auto [it, fresh] = grad_allreduce_requests.try_emplace(std::make_pair(params, static_cast<const void*>(&groups)));
    CommRequest& r = it->second;
    if (!fresh) return r;
    r.op = CommOp::allreduce;
    r.groups = groups;
    r.bytes_per_rank = Bytes(params) * 4;  // fp32 gradients
    return r;
  };

  StepBuilder builder(comm, wiring);
  const std::optional<CommAlgorithm> a2a = in.alltoall_algorithm;
  const std::optional<CommAlgorithm> ar = in.allreduce_algorithm;
  builder.record_links(record_trace);
  const std::int64_t T_enc = plan.shape.encoder_tokens;
  const std::int64_t T_dec = plan.shape.decoder_tokens;
  const PhaseCost embedding = costs.embedding(T_enc + T_dec);
  const PhaseCost lm_head = m.decoder_layers > 0 ? costs.lm_head_and_loss(T_dec) : PhaseCost{};
  const PhaseCost enc_attention = costs.attention(plan.shape.sequences, m.seq_len_input, m.seq_len_input, false);
  PhaseCost dec_attention = costs.attention(plan.shape.sequences, m.seq_len_target, m.seq_len_target, false);
  dec_attention += costs.attention(plan.shape.sequences, m.seq_len_target, m.seq_len_input, true);
  const PhaseCost enc_ffn = costs.dense_ffn(T_enc);
  const PhaseCost dec_ffn = costs.dense_ffn(T_dec);
  using SwitchCosts = SwitchPhaseCosts;
  auto switch_costs = [&](const SwitchPlan& load) { return switch_phase_costs(costs, in, load); };
  const std::optional<SwitchCosts> enc_switch = plan.encoder ? std::optional(switch_costs(*plan.encoder)) : std::nullopt;
  const std::optional<SwitchCosts> dec_switch = plan.decoder ? std::optional(switch_costs(*plan.decoder)) : std::nullopt;

  // Rematerialization (remat.hpp): the forward work a layer redoes just before its backward.
  std::vector<engine::TaskId> recompute_tasks;
  auto recompute = [&](const LayerPlan& layer, const std::string& suffix) {
    const std::string name = layer.name + ".recompute" + suffix;
    const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
    const auto& attn = layer.decoder ? dec_attention : enc_attention;
    if (in.remat == Remat::attention) {
      const std::int64_t query_len = layer.decoder ? m.seq_len_target : m.seq_len_input;
      PhaseCost core = costs.attention_core(plan.shape.sequences, query_len, query_len);
      if (layer.decoder) core += costs.attention_core(plan.shape.sequences, m.seq_len_target, m.seq_len_input);
      recompute_tasks.push_back(builder.compute(name + ".attn", "attention", core.forward));
      return;
    }
    recompute_tasks.push_back(builder.compute(name + ".attn", "attention", attn.forward));
    if (tp > 1) recompute_tasks.push_back(builder.communicate(name + ".attn.allreduce", "mp_allreduce", mp_allreduce(tokens), ar));
    if (!layer.sparse) {
      recompute_tasks.push_back(
          builder.compute(name + ".ffn", "dense_ffn", (layer.decoder ? dec_ffn : enc_ffn).forward));
      if (tp > 1) recompute_tasks.push_back(builder.communicate(name + ".ffn.allreduce", "mp_allreduce", mp_allreduce(tokens), ar));
      return;
    }
    const auto& load = layer.decoder ? *plan.decoder : *plan.encoder;
    const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
    recompute_tasks.push_back(builder.compute(name + ".router", "router", sc.router.forward));
    recompute_tasks.push_back(builder.compute(name + ".dispatch", "dispatch", sc.dispatch.forward));
    recompute_tasks.push_back(builder.communicate(name + ".a2a_dispatch", "alltoall_dispatch", alltoall(load), a2a));
    recompute_tasks.push_back(builder.compute(name + ".experts", "expert_ffn", sc.experts.forward));
    if (tp > 1)
      recompute_tasks.push_back(
          builder.communicate(name + ".experts.allreduce", "mp_allreduce", mp_allreduce(load.received_rows), ar));
    recompute_tasks.push_back(builder.communicate(name + ".a2a_combine", "alltoall_combine", alltoall(load), a2a));
    recompute_tasks.push_back(builder.compute(name + ".combine", "combine", sc.combine.forward));
  };

  std::vector<engine::TaskId> last_backward_of_layer(plan.layers.size());
  std::optional<engine::TaskId> last_embedding_backward;
  for (std::int64_t mb = 0; mb < in.microbatches; ++mb) {
    const std::string suffix = in.microbatches > 1 ? ".mb" + std::to_string(mb) : "";
    builder.compute("embed" + suffix, "embedding", embedding.forward);
    // Forward.
    for (const auto& layer : plan.layers) {
      const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
      const auto& attn = layer.decoder ? dec_attention : enc_attention;
      builder.compute(layer.name + ".attn.fwd" + suffix, "attention", attn.forward);
      if (tp > 1) builder.communicate(layer.name + ".attn.allreduce" + suffix, "mp_allreduce", mp_allreduce(tokens), ar);
      if (layer.sparse) {
        const auto& load = layer.decoder ? *plan.decoder : *plan.encoder;
        const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
        builder.compute(layer.name + ".router.fwd" + suffix, "router", sc.router.forward);
        builder.compute(layer.name + ".dispatch.fwd" + suffix, "dispatch", sc.dispatch.forward);
        builder.communicate(layer.name + ".a2a_dispatch.fwd" + suffix, "alltoall_dispatch", alltoall(load), a2a);
        builder.compute(layer.name + ".experts.fwd" + suffix, "expert_ffn", sc.experts.forward);
        if (tp > 1)
          builder.communicate(layer.name + ".experts.allreduce" + suffix, "mp_allreduce",
                              mp_allreduce(load.received_rows), ar);
        builder.communicate(layer.name + ".a2a_combine.fwd" + suffix, "alltoall_combine", alltoall(load), a2a);
        builder.compute(layer.name + ".combine.fwd" + suffix, "combine", sc.combine.forward);
      } else {
        const auto& ffn = layer.decoder ? dec_ffn : enc_ffn;
        builder.compute(layer.name + ".ffn.fwd" + suffix, "dense_ffn", ffn.forward);
      }
      if (tp > 1 && !layer.sparse)
        builder.communicate(layer.name + ".ffn.allreduce" + suffix, "mp_allreduce", mp_allreduce(tokens), ar);
    }
    builder.compute("lm_head_loss.fwd" + suffix, "embedding", lm_head.forward);
    // Backward, layers in reverse.
    builder.compute("lm_head_loss.bwd" + suffix, "embedding", lm_head.backward);
    for (std::size_t li = plan.layers.size(); li-- > 0;) {
      const auto& layer = plan.layers[li];
      const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
      if (in.remat == Remat::full) recompute(layer, suffix);
      if (layer.sparse) {
        const auto& load = layer.decoder ? *plan.decoder : *plan.encoder;
        const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
        builder.compute(layer.name + ".combine.bwd" + suffix, "combine", sc.combine.backward);
        builder.communicate(layer.name + ".a2a_combine.bwd" + suffix, "alltoall_combine", alltoall(load), a2a);
        builder.compute(layer.name + ".experts.bwd" + suffix, "expert_ffn", sc.experts.backward);
        if (tp > 1)
          builder.communicate(layer.name + ".experts.allreduce.bwd" + suffix, "mp_allreduce",
                              mp_allreduce(load.received_rows), ar);
        builder.communicate(layer.name + ".a2a_dispatch.bwd" + suffix, "alltoall_dispatch", alltoall(load), a2a);
        builder.compute(layer.name + ".dispatch.bwd" + suffix, "dispatch", sc.dispatch.backward);
        builder.compute(layer.name + ".router.bwd" + suffix, "router", sc.router.backward);
      } else {
        const auto& ffn = layer.decoder ? dec_ffn : enc_ffn;
        if (tp > 1)
          builder.communicate(layer.name + ".ffn.allreduce.bwd" + suffix, "mp_allreduce", mp_allreduce(tokens), ar);
        builder.compute(layer.name + ".ffn.bwd" + suffix, "dense_ffn", ffn.backward);
      }
      const auto& attn = layer.decoder ? dec_attention : enc_attention;
      if (in.remat == Remat::attention) recompute(layer, suffix);
      if (tp > 1)
        builder.communicate(layer.name + ".attn.allreduce.bwd" + suffix, "mp_allreduce", mp_allreduce(tokens), ar);
      last_backward_of_layer[li] = builder.compute(layer.name + ".attn.bwd" + suffix, "attention", attn.backward);
    }
    last_embedding_backward = builder.compute("embed.bwd" + suffix, "embedding", embedding.backward);
  }

  // Gradient all-reduce: per layer, after its last microbatch's backward (overlapped), or
  // all after the backward pass.
  const bool replicas = in.layout.expert_replicas() > 1;
  const std::int64_t local_experts = m.is_moe() ? in.layout.experts_per_device(*m.experts) : 0;
  for (std::size_t li = plan.layers.size(); li-- > 0;) {
    const auto& layer = plan.layers[li];
    const engine::TaskId after = in.overlap_grad_allreduce ? last_backward_of_layer[li] : builder.last();
    if (in.layout.dp > 1)
      builder.communicate_aside(layer.name + ".grad_allreduce", "allreduce",
                                grad_allreduce(layer.dense_params / tp, dgroups), ar, after);
    if (layer.sparse && replicas)
      builder.communicate_aside(layer.name + ".expert_grad_allreduce", "allreduce",
                                grad_allreduce(size_product("expert gradients", {layer.expert_params, local_experts}) / tp, rgroups), ar, after);
  }
  if (in.layout.dp > 1)
    builder.communicate_aside("embedding.grad_allreduce", "allreduce",
                              grad_allreduce(stats.params_embedding / tp, dgroups), ar, *last_embedding_backward);

  // The optimizer step after the last backward and every gradient all-reduce.
  const auto optimizer =
      builder.graph().add_task("optimizer", "optimizer", std::nullopt,
                               costs.optimizer(memory.params_local, in.optimizer == Optimizer::adam));
  builder.graph().add_dependency(builder.last(), optimizer);
  for (auto id : builder.aside()) builder.graph().add_dependency(id, optimizer);

  StepGraph step = std::move(builder).finish();
  step.recompute_tasks = std::move(recompute_tasks);
  return step;
}

}  // namespace switchsim::model
