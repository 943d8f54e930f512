#include "model/layer_prediction.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

#include "compute/kernel_model.hpp"
#include "model/phase_costs.hpp"

namespace switchsim::model {

LayerPrediction predict_layer(const LayerScenario& s, const config::ClusterConfig& cluster, CommModel& comm) {
  if (s.ranks < 1 || s.ranks > cluster.devices)
    throw std::invalid_argument("ranks must be between 1 and the cluster's " + std::to_string(cluster.devices) +
                                " devices, got " + std::to_string(s.ranks));
  if (s.experts % s.ranks != 0)
    throw std::invalid_argument(std::to_string(s.experts) + " experts cannot be split over " +
                                std::to_string(s.ranks) + " ranks");
  config::ModelConfig m;
  m.name = "layer";
  m.d_model = s.d_model;
  m.d_ff = s.d_ff;
  m.ffn = s.ffn;
  m.experts = s.experts;
  m.top_k = s.top_k;
  m.compute_dtype = s.dtype;
  m.router_dtype = s.router_dtype;
  const compute::KernelModel kernels(cluster.device);
  const PhaseCosts costs(kernels, m, 1);

  LayerPrediction p;
  const std::int64_t T = s.tokens_per_rank;
  const std::int64_t R = s.ranks;
  const std::int64_t local = s.experts / R;
  const std::int64_t b = dtype_bytes(s.dtype);
  p.capacity = expert_capacity(T, s.experts, s.capacity_factor, s.top_k, s.min_capacity);

  // Loads of every rank's tokens.
  std::mt19937_64 rng(s.seed);
  const auto shares = expert_shares(s.routing, s.experts, 0, rng);
  std::vector<std::vector<std::int64_t>> counts;
  std::int64_t assignments = 0, dropped = 0;
  double aux = 0;
  for (std::int64_t r = 0; r < R; ++r) {
    counts.push_back(sample_counts(shares, T * s.top_k, rng));
    const auto summary = summarize_load(counts.back(), p.capacity);
    assignments += summary.assignments;
    dropped += s.padding == Padding::capacity ? summary.dropped : 0;
    aux += auxiliary_loss(counts.back(), 1.0);
  }
  p.dropped_token_frac = static_cast<double>(dropped) / static_cast<double>(assignments);
  p.aux_loss = aux / static_cast<double>(R);

  std::vector<std::int32_t> group(static_cast<std::size_t>(R));
  std::iota(group.begin(), group.end(), 0);
  CommRequest a2a;
  a2a.groups = {group};
  std::vector<std::int64_t> rows;  // per local expert on the critical rank
  std::int64_t dispatch_rows = 0, received = 0;
  if (s.padding == Padding::capacity) {
    a2a.op = CommOp::alltoall;
    a2a.bytes_per_rank = Bytes(s.experts * p.capacity * s.d_model * b);
    rows.assign(static_cast<std::size_t>(local), R * p.capacity);
    dispatch_rows = s.experts * p.capacity;
    received = local * R * p.capacity;
  } else {
    a2a.op = CommOp::alltoallv;
    a2a.matrix.assign(static_cast<std::size_t>(R), std::vector<Bytes>(static_cast<std::size_t>(R), Bytes(0)));
    std::vector<std::vector<std::int64_t>> per_rank(static_cast<std::size_t>(R),
                                                    std::vector<std::int64_t>(static_cast<std::size_t>(local), 0));
    for (std::int64_t i = 0; i < R; ++i)
      for (std::int64_t e = 0; e < s.experts; ++e) {
        const std::int64_t c = counts[static_cast<std::size_t>(i)][static_cast<std::size_t>(e)];
        per_rank[static_cast<std::size_t>(e / local)][static_cast<std::size_t>(e % local)] += c;
        a2a.matrix[static_cast<std::size_t>(i)][static_cast<std::size_t>(e / local)] += Bytes(c * s.d_model * b);
      }
    std::size_t critical = 0;
    for (std::size_t j = 0; j < per_rank.size(); ++j) {
      const auto total = std::accumulate(per_rank[j].begin(), per_rank[j].end(), std::int64_t{0});
      if (total > received) {
        received = total;
        critical = j;
      }
    }
    rows = per_rank[critical];
    dispatch_rows = T * s.top_k;
  }
  const Picoseconds a2a_time = comm.time(a2a);
  const PhaseCost router = costs.router(T);
  const PhaseCost dispatch = costs.dispatch(T, dispatch_rows);
  const PhaseCost experts = costs.expert_ffn(rows);
  const PhaseCost combine = costs.combine(T, received);
  p.phase["router"] = router.forward + router.backward;
  p.phase["dispatch"] = dispatch.forward + dispatch.backward;
  p.phase["alltoall_dispatch"] = a2a_time * 2;
  p.phase["expert_ffn"] = experts.forward + experts.backward;
  p.phase["alltoall_combine"] = a2a_time * 2;
  p.phase["combine"] = combine.forward + combine.backward;
  p.forward = router.forward + dispatch.forward + a2a_time + experts.forward + a2a_time + combine.forward;
  p.backward = router.backward + dispatch.backward + a2a_time + experts.backward + a2a_time + combine.backward;
  p.step = p.forward + p.backward;
  return p;
}

}  // namespace switchsim::model
