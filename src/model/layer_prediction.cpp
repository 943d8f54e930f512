#include "model/layer_prediction.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>
#include <tuple>

#include "model/switch_plan.hpp"
#include "model/phase_costs.hpp"

namespace switchsim::model {

namespace {
config::ModelConfig layer_model(const LayerScenario& s) {
  config::ModelConfig m;
  m.name = "layer";
  m.d_model = s.d_model;
  m.d_ff = s.d_ff;
  m.ffn = s.ffn;
  m.experts = s.experts;
  m.top_k = s.top_k;
  m.compute_dtype = s.dtype;
  m.router_dtype = s.router_dtype;
  return m;
}

LayerPrediction cost_layer(const LayerScenario& s, const LayerWork& w, const compute::KernelModel& kernels,
                           CommModel& comm) {
  const auto m = layer_model(s);
  const PhaseCosts costs(kernels, m, 1);
  LayerPrediction p;
  p.capacity = w.capacity;
  p.dropped_token_frac = w.dropped_token_frac;
  p.aux_loss = w.aux_loss;
  p.aux_loss_proxy = w.aux_loss_proxy;
  const Picoseconds a2a_time = comm.time(w.alltoall);
  const PhaseCost router = costs.router(w.tokens);
  const PhaseCost dispatch = costs.dispatch(w.tokens, w.dispatch_rows);
  const PhaseCost experts = costs.expert_ffn_loop(w.rows_per_local_expert);
  const PhaseCost combine = costs.combine(w.tokens, w.kept_rows, w.dispatch_rows);
  // Regrouping (see the header): rows in and outputs out, each copy read + written.
  const Picoseconds regroup = kernels.memory_time(Bytes(4 * w.received_rows * s.d_model * dtype_bytes(s.dtype)));
  p.phase["router"] = router.forward + router.backward;
  p.phase["dispatch"] = dispatch.forward + dispatch.backward;
  p.phase["alltoall_dispatch"] = a2a_time * 2;
  p.phase["expert_ffn"] = experts.forward + experts.backward + regroup * 2;
  p.phase["alltoall_combine"] = a2a_time * 2;
  p.phase["combine"] = combine.forward + combine.backward;
  p.forward = router.forward + dispatch.forward + a2a_time + experts.forward + regroup + a2a_time + combine.forward;
  p.backward =
      router.backward + dispatch.backward + a2a_time + experts.backward + regroup + a2a_time + combine.backward;
  p.step = p.forward + p.backward;
  return p;
}

// Counts time, not at all: for layer_gemm_shapes, which only wants the kernel model's questions.
class NoComm final : public CommModel {
 public:
  Picoseconds time(const CommRequest&) override { return Picoseconds(0); }
  std::string name() const override { return "none"; }
};
}  // namespace

LayerWork plan_layer(const LayerScenario& s) {
  if (s.ranks < 1) throw std::invalid_argument("ranks must be at least 1, got " + std::to_string(s.ranks));
  if (s.experts % s.ranks != 0)
    throw std::invalid_argument(std::to_string(s.experts) + " experts cannot be split over " +
                                std::to_string(s.ranks) + " ranks");
  // Every rank's tokens are one routing group; the ranks form the expert-parallel group.
  SwitchPlanInputs in;
  in.shape = moe::SwitchLayerShape{
      .tokens = s.tokens_per_rank, .experts = s.experts, .top_k = s.top_k, .d_model = s.d_model, .d_ff = s.d_ff};
  in.capacity_factor = s.capacity_factor;
  in.min_capacity = s.min_capacity;
  in.padding = s.padding;
  in.ep = s.ranks;
  in.groups = s.ranks;
  in.bytes_per_element = dtype_bytes(s.dtype);
  in.routing = &s.routing;
  std::mt19937_64 rng(s.seed);
  const SwitchPlan plan = plan_switch_layer(in, rng);

  LayerWork w;
  w.tokens = plan.tokens;
  w.capacity = plan.capacity;
  w.dropped_token_frac = plan.dropped_frac();
  w.aux_loss_proxy = plan.aux_loss_proxy_sum / static_cast<double>(plan.groups_sampled);
  if (plan.aux_loss_sum) w.aux_loss = *plan.aux_loss_sum / static_cast<double>(plan.groups_sampled);
  std::vector<std::int32_t> group(static_cast<std::size_t>(s.ranks));
  std::iota(group.begin(), group.end(), 0);
  w.alltoall.groups = {group};
  if (s.padding == Padding::capacity) {
    w.alltoall.op = CommOp::alltoall;
    w.alltoall.bytes_per_rank = plan.alltoall_bytes_per_rank;
  } else {
    w.alltoall.op = CommOp::alltoallv;
    w.alltoall.matrix = plan.matrix;
  }
  w.dispatch_rows = plan.dispatch_rows;
  w.kept_rows = plan.kept_rows;
  w.rows_per_local_expert = plan.rows_per_local_expert;
  w.received_rows = plan.received_rows;
  return w;
}

LayerPrediction predict_layer(const LayerScenario& s, const config::ClusterConfig& cluster, CommModel& comm) {
  if (s.ranks < 1 || s.ranks > cluster.devices)
    throw std::invalid_argument("ranks must be between 1 and the cluster's " + std::to_string(cluster.devices) +
                                " devices, got " + std::to_string(s.ranks));
  const auto work = plan_layer(s);
  const compute::KernelModel kernels(cluster.device);
  return cost_layer(s, work, kernels, comm);
}

std::vector<compute::GemmShape> layer_gemm_shapes(const LayerScenario& s, std::int64_t gemm_tile) {
  const auto work = plan_layer(s);
  // Any positive rates will do: only the shapes asked about are kept.
  config::DeviceConfig probe;
  probe.name = "shape-probe";
  probe.kind = "cpu";
  probe.peak_bf16 = probe.peak_fp32 = probe.peak_tf32 = FlopsPerSecond(1e12);
  probe.memory_bandwidth = BytesPerSecond(1e11);
  probe.memory = Bytes(std::int64_t{1} << 40);
  probe.gemm_tile = std::max<std::int64_t>(1, gemm_tile);
  std::vector<compute::GemmShape> shapes;
  const compute::KernelModel kernels(probe, [&shapes](const compute::GemmShape& g) {
    compute::GemmShape one = g;
    one.batch = 1;
    if (std::find(shapes.begin(), shapes.end(), one) == shapes.end()) shapes.push_back(one);
  });
  NoComm none;
  (void)cost_layer(s, work, kernels, none);
  // Sorted: the order of the calls inside an expression is the compiler's, the list must not be.
  std::sort(shapes.begin(), shapes.end(), [](const compute::GemmShape& a, const compute::GemmShape& b) {
    return std::tie(a.m, a.n, a.k, a.transposed_b) < std::tie(b.m, b.n, b.k, b.transposed_b);
  });
  return shapes;
}

}  // namespace switchsim::model
