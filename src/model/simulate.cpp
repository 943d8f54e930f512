#include "model/simulate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "compute/kernel_model.hpp"
#include "engine/executor.hpp"
#include "model/dispatch_cost.hpp"
#include "model/expert_placement.hpp"
#include "model/model_stats.hpp"
#include "model/phase_costs.hpp"

namespace switchsim::model {
namespace {

constexpr std::int64_t kMaxSampledGroups = 256;

// How tokens of one stack (encoder or decoder) spread over experts in a step.
struct SwitchLoad {
  std::int64_t tokens = 0;      // per device group (per device per microbatch)
  std::int64_t capacity = 0;
  std::int64_t dispatch_rows = 0;                 // rows each device writes into its send buffer
  std::vector<std::int64_t> rows_per_local_expert;  // on the critical device
  std::int64_t received_rows = 0;                 // on the critical device
  Bytes alltoall_bytes_per_rank;                  // capacity padding: what each device sends
  std::vector<std::vector<Bytes>> matrix;         // dropless: bytes from member i to member j
  std::int64_t assignments = 0;
  std::int64_t dropped = 0;
  double aux_loss_sum = 0;
  std::int64_t groups_sampled = 0;
};

SwitchLoad plan_switch_load(const StepInputs& in, std::int64_t tokens, std::mt19937_64& rng) {
  const auto& m = in.model;
  const std::int64_t experts = *m.experts;
  const std::int64_t ep = in.layout.ep;
  const std::int64_t local = experts / ep;
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  SwitchLoad load;
  load.tokens = tokens;
  load.capacity = device_capacity(in, tokens);
  const std::vector<double> shares = expert_shares(in.routing, experts, 0, rng);

  // Expert-parallel group 0's members (needed whole for dropless), then more groups for statistics.
  const std::int64_t sampled = std::max<std::int64_t>(in.padding == Padding::dropless ? ep : 1,
                                                      std::min<std::int64_t>(in.layout.dp, kMaxSampledGroups));
  std::vector<std::vector<std::int64_t>> member_counts;
  for (std::int64_t g = 0; g < sampled; ++g) {
    auto counts = sample_counts(shares, tokens * m.top_k, rng);
    const auto summary = summarize_load(counts, load.capacity);
    load.assignments += summary.assignments;
    load.dropped += in.padding == Padding::capacity ? summary.dropped : 0;
    load.aux_loss_sum += auxiliary_loss(counts, in.router_confidence);
    if (g < ep && in.padding == Padding::dropless) member_counts.push_back(std::move(counts));
  }
  load.groups_sampled = sampled;

  if (in.padding == Padding::capacity) {
    load.dispatch_rows = experts * load.capacity;
    load.rows_per_local_expert.assign(static_cast<std::size_t>(local), ep * load.capacity);
    load.received_rows = local * ep * load.capacity;
    load.alltoall_bytes_per_rank = Bytes(experts * load.capacity * m.d_model * b);
    return load;
  }
  // Dropless: member j hosts experts [j*local, (j+1)*local) and receives every token routed there.
  load.dispatch_rows = tokens * m.top_k;
  auto placement = place_dropless(member_counts, Bytes(m.d_model * b));
  load.matrix = std::move(placement.matrix);
  load.rows_per_local_expert = std::move(placement.critical_rows);
  load.received_rows = placement.critical_received;
  return load;
}

std::vector<const char*> auto_candidates(CommOp op) {
  switch (op) {
    case CommOp::allreduce: return {"ring", "tree", "hierarchical"};
    case CommOp::alltoall:
    case CommOp::alltoallv: return {"direct", "hierarchical"};
    default: return {"ring"};
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
  StepBuilder(const StepInputs& in, CommModel& comm, const PhaseCosts& costs)
      : in_(in), comm_(comm), costs_(costs) {
    compute_ = graph_.add_resource("compute");
    network_ = graph_.add_resource("comm");
  }

  engine::TaskId compute(const std::string& name, const std::string& category, Picoseconds duration) {
    return chain(graph_.add_task(name, category, compute_, duration));
  }
  engine::TaskId communicate(const std::string& name, const std::string& category, const CommRequest& request) {
    const auto id = chain(graph_.add_task(name, category, network_, time_of(request)));
    remember(id, request);
    return id;
  }
  // A task on the comm stream that does not hold up the compute chain (overlapped).
  engine::TaskId communicate_aside(const std::string& name, const std::string& category, const CommRequest& request,
                                   engine::TaskId after) {
    const auto id = graph_.add_task(name, category, network_, time_of(request));
    remember(id, request);
    graph_.add_dependency(after, id);
    aside_.push_back(id);
    return id;
  }
  engine::TaskId last() const { return *last_; }
  // Link classes each communication task loaded, and how much (only when tracing).
  const std::map<engine::TaskId, std::map<std::string, double>>& link_peaks() const { return link_peaks_; }
  void record_links(bool on) { record_links_ = on; }

  // "auto" picks the fastest algorithm for this request, as NCCL's tuner does per size and scale.
  Picoseconds time_of(const CommRequest& request) {
    if (request.algorithm != "auto") return comm_.time(request);
    std::optional<Picoseconds> best;
    for (const char* algorithm : auto_candidates(request.op)) {
      CommRequest candidate = request;
      candidate.algorithm = algorithm;
      const Picoseconds t = comm_.time(candidate);
      if (!best || t < *best) best = t;
    }
    return *best;
  }
  const std::vector<engine::TaskId>& aside() const { return aside_; }
  engine::TaskGraph& graph() { return graph_; }

 private:
  engine::TaskId chain(engine::TaskId id) {
    if (last_) graph_.add_dependency(*last_, id);
    last_ = id;
    return id;
  }

  const StepInputs& in_;
  CommModel& comm_;
  const PhaseCosts& costs_;
  engine::TaskGraph graph_;
  engine::ResourceId compute_{};
  engine::ResourceId network_{};
  void remember(engine::TaskId id, const CommRequest& request) {
    if (!record_links_) return;
    CommRequest chosen = request;
    if (chosen.algorithm == "auto") {
      // The trace shows the links of the algorithm auto picked.
      for (const char* algorithm : auto_candidates(request.op)) {
        CommRequest candidate = request;
        candidate.algorithm = algorithm;
        if (comm_.time(candidate) == graph_.task(id).duration) {
          chosen = candidate;
          break;
        }
      }
    }
    auto peaks = comm_.link_class_peaks(chosen);
    if (!peaks.empty()) link_peaks_.emplace(id, std::move(peaks));
  }

  std::optional<engine::TaskId> last_;
  std::vector<engine::TaskId> aside_;
  bool record_links_ = false;
  std::map<engine::TaskId, std::map<std::string, double>> link_peaks_;
};

struct LayerPlan {
  std::string name;
  bool decoder = false;
  bool sparse = false;
  std::int64_t dense_params = 0;   // non-expert parameters of the layer (whole, before tp split)
  std::int64_t expert_params = 0;  // per expert
};

}  // namespace

StepResult simulate_step(const StepInputs& in, CommModel& comm, bool record_trace) {
  const auto& m = in.model;
  if (m.is_moe()) parse_layout(in.layout.text(), in.cluster.devices, *m.experts);  // re-validate
  if (in.layout.devices() != in.cluster.devices)
    throw std::invalid_argument("layout " + in.layout.text() + " does not cover the cluster's " +
                                std::to_string(in.cluster.devices) + " devices");
  if (in.microbatches <= 0) throw std::invalid_argument("microbatches must be positive");
  const TokenShape shape = token_shape(in);
  const compute::KernelModel kernels(in.cluster.device);
  const PhaseCosts costs(kernels, m, in.layout.tp);
  const ModelStats stats = compute_stats(m);
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t d = m.d_model;
  const std::int64_t tp = in.layout.tp;

  std::mt19937_64 rng(in.seed);
  std::optional<SwitchLoad> enc_load, dec_load;
  if (m.is_moe()) {
    enc_load = plan_switch_load(in, shape.encoder_tokens, rng);
    if (m.decoder_layers > 0) dec_load = plan_switch_load(in, shape.decoder_tokens, rng);
  }

  // Per-layer plans, encoder then decoder, and their parameter counts for gradient buckets.
  const std::int64_t inner = m.heads * m.d_kv;
  const std::int64_t attention_params = 4 * d * inner;
  const std::int64_t ffn_params = m.ffn_matrices() * d * m.d_ff;
  std::vector<LayerPlan> layers;
  for (std::int64_t i = 0; i < m.encoder_layers + m.decoder_layers; ++i) {
    LayerPlan p;
    p.decoder = i >= m.encoder_layers;
    const std::int64_t index = p.decoder ? i - m.encoder_layers : i;
    p.sparse = m.is_moe() && (index + 1) % m.expert_every == 0;
    p.name = (p.decoder ? "dec" : "enc") + std::to_string(index);
    p.dense_params = (p.decoder ? 2 : 1) * attention_params + (p.sparse ? d * *m.experts : ffn_params);
    p.expert_params = p.sparse ? ffn_params : 0;
    layers.push_back(std::move(p));
  }

  const auto egroups = m.is_moe() ? expert_groups(in.layout) : std::vector<std::vector<std::int32_t>>{};
  const auto dgroups = data_groups(in.layout);
  const auto rgroups = replica_groups(in.layout);
  const auto mgroups = model_groups(in.layout);

  auto alltoall = [&](const SwitchLoad& load) {
    CommRequest r;
    r.groups = egroups;
    if (in.padding == Padding::dropless) {
      r.op = CommOp::alltoallv;
      r.matrix = load.matrix;
    } else {
      r.op = CommOp::alltoall;
      r.bytes_per_rank = load.alltoall_bytes_per_rank;
    }
    r.algorithm = in.alltoall_algorithm;
    return r;
  };
  auto mp_allreduce = [&](std::int64_t rows) {
    CommRequest r;
    r.op = CommOp::allreduce;
    r.algorithm = in.allreduce_algorithm;
    r.groups = mgroups;
    r.bytes_per_rank = Bytes(rows * d * b);
    return r;
  };
  auto grad_allreduce = [&](std::int64_t params, const std::vector<std::vector<std::int32_t>>& groups) {
    CommRequest r;
    r.op = CommOp::allreduce;
    r.algorithm = in.allreduce_algorithm;
    r.groups = groups;
    r.bytes_per_rank = Bytes(params) * 4;  // fp32 gradients
    return r;
  };

  StepBuilder builder(in, comm, costs);
  builder.record_links(record_trace);
  const std::int64_t T_enc = shape.encoder_tokens;
  const std::int64_t T_dec = shape.decoder_tokens;
  const PhaseCost embedding = costs.embedding(T_enc + T_dec);
  const PhaseCost lm_head = m.decoder_layers > 0 ? costs.lm_head_and_loss(T_dec) : PhaseCost{};
  const PhaseCost enc_attention = costs.attention(shape.sequences, m.seq_len_input, m.seq_len_input, false);
  PhaseCost dec_attention = costs.attention(shape.sequences, m.seq_len_target, m.seq_len_target, false);
  dec_attention += costs.attention(shape.sequences, m.seq_len_target, m.seq_len_input, true);
  const PhaseCost enc_ffn = costs.dense_ffn(T_enc);
  const PhaseCost dec_ffn = costs.dense_ffn(T_dec);
  using SwitchCosts = SwitchPhaseCosts;
  auto switch_costs = [&](const SwitchLoad& load) {
    return switch_phase_costs(costs, in, load.tokens, load.dispatch_rows, load.rows_per_local_expert,
                              load.received_rows);
  };
  const std::optional<SwitchCosts> enc_switch = enc_load ? std::optional(switch_costs(*enc_load)) : std::nullopt;
  const std::optional<SwitchCosts> dec_switch = dec_load ? std::optional(switch_costs(*dec_load)) : std::nullopt;

  // Rematerialization (remat.hpp): the forward work a layer redoes just before its backward.
  std::vector<engine::TaskId> recompute_tasks;
  auto recompute = [&](const LayerPlan& layer, const std::string& suffix) {
    const std::string name = layer.name + ".recompute" + suffix;
    const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
    const auto& attn = layer.decoder ? dec_attention : enc_attention;
    if (in.remat == Remat::attention) {
      PhaseCost core = costs.attention_core(shape.sequences, layer.decoder ? m.seq_len_target : m.seq_len_input,
                                            layer.decoder ? m.seq_len_target : m.seq_len_input);
      if (layer.decoder) core += costs.attention_core(shape.sequences, m.seq_len_target, m.seq_len_input);
      recompute_tasks.push_back(builder.compute(name + ".attn", "attention", core.forward));
      return;
    }
    recompute_tasks.push_back(builder.compute(name + ".attn", "attention", attn.forward));
    if (tp > 1) recompute_tasks.push_back(builder.communicate(name + ".attn.allreduce", "mp_allreduce", mp_allreduce(tokens)));
    if (!layer.sparse) {
      recompute_tasks.push_back(
          builder.compute(name + ".ffn", "dense_ffn", (layer.decoder ? dec_ffn : enc_ffn).forward));
      if (tp > 1) recompute_tasks.push_back(builder.communicate(name + ".ffn.allreduce", "mp_allreduce", mp_allreduce(tokens)));
      return;
    }
    const auto& load = layer.decoder ? *dec_load : *enc_load;
    const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
    recompute_tasks.push_back(builder.compute(name + ".router", "router", sc.router.forward));
    recompute_tasks.push_back(builder.compute(name + ".dispatch", "dispatch", sc.dispatch.forward));
    recompute_tasks.push_back(builder.communicate(name + ".a2a_dispatch", "alltoall_dispatch", alltoall(load)));
    recompute_tasks.push_back(builder.compute(name + ".experts", "expert_ffn", sc.experts.forward));
    if (tp > 1)
      recompute_tasks.push_back(
          builder.communicate(name + ".experts.allreduce", "mp_allreduce", mp_allreduce(load.received_rows)));
    recompute_tasks.push_back(builder.communicate(name + ".a2a_combine", "alltoall_combine", alltoall(load)));
    recompute_tasks.push_back(builder.compute(name + ".combine", "combine", sc.combine.forward));
  };

  std::vector<engine::TaskId> last_backward_of_layer(layers.size());
  std::optional<engine::TaskId> last_embedding_backward;
  for (std::int64_t mb = 0; mb < in.microbatches; ++mb) {
    const std::string suffix = in.microbatches > 1 ? ".mb" + std::to_string(mb) : "";
    builder.compute("embed" + suffix, "embedding", embedding.forward);
    // Forward.
    for (const auto& layer : layers) {
      const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
      const auto& attn = layer.decoder ? dec_attention : enc_attention;
      builder.compute(layer.name + ".attn.fwd" + suffix, "attention", attn.forward);
      if (tp > 1) builder.communicate(layer.name + ".attn.allreduce" + suffix, "mp_allreduce", mp_allreduce(tokens));
      if (layer.sparse) {
        const auto& load = layer.decoder ? *dec_load : *enc_load;
        const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
        builder.compute(layer.name + ".router.fwd" + suffix, "router", sc.router.forward);
        builder.compute(layer.name + ".dispatch.fwd" + suffix, "dispatch", sc.dispatch.forward);
        builder.communicate(layer.name + ".a2a_dispatch.fwd" + suffix, "alltoall_dispatch", alltoall(load));
        builder.compute(layer.name + ".experts.fwd" + suffix, "expert_ffn", sc.experts.forward);
        if (tp > 1)
          builder.communicate(layer.name + ".experts.allreduce" + suffix, "mp_allreduce",
                              mp_allreduce(load.received_rows));
        builder.communicate(layer.name + ".a2a_combine.fwd" + suffix, "alltoall_combine", alltoall(load));
        builder.compute(layer.name + ".combine.fwd" + suffix, "combine", sc.combine.forward);
      } else {
        const auto& ffn = layer.decoder ? dec_ffn : enc_ffn;
        builder.compute(layer.name + ".ffn.fwd" + suffix, "dense_ffn", ffn.forward);
      }
      if (tp > 1 && !layer.sparse)
        builder.communicate(layer.name + ".ffn.allreduce" + suffix, "mp_allreduce", mp_allreduce(tokens));
    }
    builder.compute("lm_head_loss.fwd" + suffix, "embedding", lm_head.forward);
    // Backward, layers in reverse.
    builder.compute("lm_head_loss.bwd" + suffix, "embedding", lm_head.backward);
    for (std::size_t li = layers.size(); li-- > 0;) {
      const auto& layer = layers[li];
      const std::int64_t tokens = layer.decoder ? T_dec : T_enc;
      if (in.remat == Remat::full) recompute(layer, suffix);
      if (layer.sparse) {
        const auto& load = layer.decoder ? *dec_load : *enc_load;
        const auto& sc = layer.decoder ? *dec_switch : *enc_switch;
        builder.compute(layer.name + ".combine.bwd" + suffix, "combine", sc.combine.backward);
        builder.communicate(layer.name + ".a2a_combine.bwd" + suffix, "alltoall_combine", alltoall(load));
        builder.compute(layer.name + ".experts.bwd" + suffix, "expert_ffn", sc.experts.backward);
        if (tp > 1)
          builder.communicate(layer.name + ".experts.allreduce.bwd" + suffix, "mp_allreduce",
                              mp_allreduce(load.received_rows));
        builder.communicate(layer.name + ".a2a_dispatch.bwd" + suffix, "alltoall_dispatch", alltoall(load));
        builder.compute(layer.name + ".dispatch.bwd" + suffix, "dispatch", sc.dispatch.backward);
        builder.compute(layer.name + ".router.bwd" + suffix, "router", sc.router.backward);
      } else {
        const auto& ffn = layer.decoder ? dec_ffn : enc_ffn;
        if (tp > 1)
          builder.communicate(layer.name + ".ffn.allreduce.bwd" + suffix, "mp_allreduce", mp_allreduce(tokens));
        builder.compute(layer.name + ".ffn.bwd" + suffix, "dense_ffn", ffn.backward);
      }
      const auto& attn = layer.decoder ? dec_attention : enc_attention;
      if (in.remat == Remat::attention) recompute(layer, suffix);
      if (tp > 1)
        builder.communicate(layer.name + ".attn.allreduce.bwd" + suffix, "mp_allreduce", mp_allreduce(tokens));
      last_backward_of_layer[li] = builder.compute(layer.name + ".attn.bwd" + suffix, "attention", attn.backward);
    }
    last_embedding_backward = builder.compute("embed.bwd" + suffix, "embedding", embedding.backward);
  }

  // Gradient all-reduce: per layer, after its last microbatch's backward (overlapped), or
  // all after the backward pass.
  const bool replicas = in.layout.expert_replicas() > 1;
  const std::int64_t local_experts = m.is_moe() ? in.layout.experts_per_device(*m.experts) : 0;
  for (std::size_t li = layers.size(); li-- > 0;) {
    const auto& layer = layers[li];
    const engine::TaskId after = in.overlap_grad_allreduce ? last_backward_of_layer[li] : builder.last();
    if (in.layout.dp > 1)
      builder.communicate_aside(layer.name + ".grad_allreduce", "allreduce",
                                grad_allreduce(layer.dense_params / tp, dgroups), after);
    if (layer.sparse && replicas)
      builder.communicate_aside(layer.name + ".expert_grad_allreduce", "allreduce",
                                grad_allreduce(layer.expert_params * local_experts / tp, rgroups), after);
  }
  if (in.layout.dp > 1)
    builder.communicate_aside("embedding.grad_allreduce", "allreduce",
                              grad_allreduce(stats.params_embedding / tp, dgroups), *last_embedding_backward);

  // Memory (needed for the optimizer's parameter count too).
  MemoryShape memory_shape;
  memory_shape.params_expert = stats.params_expert;
  memory_shape.params_dense = stats.params_total - stats.params_expert;
  memory_shape.encoder_tokens = T_enc;
  memory_shape.decoder_tokens = T_dec;
  memory_shape.sequences = shape.sequences;
  if (enc_load) memory_shape.expert_slots_encoder = enc_load->received_rows;
  if (dec_load) memory_shape.expert_slots_decoder = dec_load->received_rows;
  std::int64_t a2a_bytes = 0;
  for (const auto* load : {enc_load ? &*enc_load : nullptr, dec_load ? &*dec_load : nullptr}) {
    if (!load) continue;
    std::int64_t sent = load->alltoall_bytes_per_rank.count();
    for (const auto& row : load->matrix)
      sent = std::max(sent, std::accumulate(row.begin(), row.end(), Bytes(0)).count());
    a2a_bytes = std::max(a2a_bytes, sent);
  }
  memory_shape.alltoall_bytes = a2a_bytes;
  if (in.dispatch == Dispatch::einsum) {
    if (enc_load) memory_shape.mask_elements_encoder = einsum_shape(T_enc, in.group_size, m, in.capacity_factor).mask_elements();
    if (dec_load) memory_shape.mask_elements_decoder = einsum_shape(T_dec, in.group_size, m, in.capacity_factor).mask_elements();
  }

  StepResult result;
  result.memory = memory_per_device(in, memory_shape);

  const auto optimizer =
      builder.graph().add_task("optimizer", "optimizer", std::nullopt,
                               costs.optimizer(result.memory.params_local, in.optimizer == Optimizer::adam));
  builder.graph().add_dependency(builder.last(), optimizer);
  for (auto id : builder.aside()) builder.graph().add_dependency(id, optimizer);

  engine::EventQueue queue;
  engine::Recorder recorder;
  engine::Executor executor(builder.graph(), queue, &recorder);
  result.step_time = executor.run();
  result.tasks = static_cast<std::int64_t>(builder.graph().task_count());
  for (auto id : recompute_tasks) result.recompute_time += builder.graph().task(id).duration;

  Picoseconds busy{0};
  for (const auto& rec : recorder.records()) {
    const auto& task = builder.graph().task(rec.task);
    const Picoseconds duration = rec.end - rec.start;
    result.phase_time[task.category] += duration;
    busy += duration;
    if (record_trace) {
      const std::string track = task.resource ? builder.graph().resource(*task.resource).name : "device";
      result.trace.push_back(engine::TraceSpan{task.name, task.category, "device0/" + track, rec.start, rec.end});
      // One track per link class: which collective loaded it, and to what peak utilization.
      if (auto it = builder.link_peaks().find(rec.task); it != builder.link_peaks().end())
        for (const auto& [link_class, peak] : it->second)
          result.trace.push_back(engine::TraceSpan{fmt::format("{} ({:.0f}% peak)", task.name, peak * 100.0),
                                                   task.category, "links/" + link_class, rec.start, rec.end});
    }
  }
  result.overlap_hidden_time = busy > result.step_time ? busy - result.step_time : Picoseconds(0);

  const double tokens = static_cast<double>(shape.sequences_per_step) *
                        static_cast<double>(m.seq_len_input + m.seq_len_target);
  result.sequences_per_step = shape.sequences_per_step;
  result.tokens_per_s = tokens / result.step_time.seconds();
  result.examples_per_s = static_cast<double>(shape.sequences_per_step) / result.step_time.seconds();
  result.model_flops_per_step = 3.0 * stats.flops_per_sequence_forward * static_cast<double>(shape.sequences_per_step);
  result.mfu = result.model_flops_per_step /
               (result.step_time.seconds() * static_cast<double>(in.cluster.devices) *
                in.cluster.device.peak(m.compute_dtype).value());
  if (enc_load) {
    std::int64_t assignments = enc_load->assignments;
    std::int64_t dropped = enc_load->dropped;
    double aux = enc_load->aux_loss_sum;
    std::int64_t groups = enc_load->groups_sampled;
    result.capacity_encoder = enc_load->capacity;
    if (dec_load) {
      assignments += dec_load->assignments;
      dropped += dec_load->dropped;
      aux += dec_load->aux_loss_sum;
      groups += dec_load->groups_sampled;
      result.capacity_decoder = dec_load->capacity;
    }
    result.dropped_token_frac = assignments ? static_cast<double>(dropped) / static_cast<double>(assignments) : 0.0;
    result.aux_loss = aux / static_cast<double>(groups);
  }
  return result;
}

}  // namespace switchsim::model
