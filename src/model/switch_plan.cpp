#include "model/switch_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "model/expert_placement.hpp"
#include "moe/capacity.hpp"
#include "units/checked.hpp"

namespace switchsim::model {

SwitchPlan plan_switch_layer(const SwitchPlanInputs& in, std::mt19937_64& rng) {
  const auto& s = in.shape;
  if (!in.routing) throw std::invalid_argument("plan_switch_layer: no routing given");
  if (in.ep < 1 || s.experts % in.ep != 0)
    throw std::invalid_argument(std::to_string(s.experts) + " experts cannot be split over " + std::to_string(in.ep) +
                                " ranks");
  if (in.groups < 1 || (in.padding == Padding::dropless && in.groups < in.ep))
    throw std::invalid_argument("plan_switch_layer: dropless routing needs every member of the expert-parallel group");
  const std::int64_t experts = s.experts;
  const std::int64_t local = experts / in.ep;
  const std::int64_t b = in.bytes_per_element;
  const std::int64_t assignments_per_group = s.assignments();
  SwitchPlan plan;
  plan.tokens = s.tokens;
  plan.capacity = in.capacity ? *in.capacity : moe::expert_capacity({.tokens = s.tokens,
                                        .experts = experts,
                                        .top_k = s.top_k,
                                        .capacity_factor = in.capacity_factor,
                                        .min_capacity = in.min_capacity});
  const RoutingSpec& routing = *in.routing;
  const bool traced = routing.kind == RoutingSpec::Kind::trace;
  if (traced && !routing.trace) throw std::invalid_argument("routing '" + routing.text + "': the trace was not loaded");
  // Traces: the step's counts as given for every group (no resampling), its P_i if recorded.
  std::vector<std::int64_t> traced_counts;
  const std::vector<double>* router_prob = nullptr;
  if (traced) {
    traced_counts = trace_counts(*routing.trace, in.step, s.tokens);
    const auto& step = routing.trace->steps[static_cast<std::size_t>(in.step)];
    if (!step.router_prob.empty()) router_prob = &step.router_prob;
  }
  if (router_prob) plan.aux_loss_sum = 0.0;

  // Sampled routing: every group's counts drawn up front (or the same draws reused from the
  // cache, with the generator left where drawing them would leave it: sampled_counts.hpp).
  std::vector<std::vector<std::int64_t>> drawn;
  if (!traced) {
    const SampledCountsRequest request{.routing_kind = static_cast<int>(routing.kind),
                                       .skew_kind = static_cast<int>(routing.skew.kind),
                                       .skew_parameter = routing.skew.parameter,
                                       .experts = experts,
                                       .step = in.step,
                                       .assignments_per_group = assignments_per_group,
                                       .groups = in.groups};
    const SampledCounts* reused = in.cache ? in.cache->find(request, rng) : nullptr;
    if (reused) {
      drawn = reused->per_group;
      rng = reused->rng_after;
    } else {
      const std::mt19937_64 rng_before = rng;
      const std::vector<double> shares = expert_shares(routing, experts, in.step, rng);
      drawn.reserve(static_cast<std::size_t>(in.groups));
      for (std::int64_t g = 0; g < in.groups; ++g) drawn.push_back(sample_counts(shares, assignments_per_group, rng));
      if (in.cache) in.cache->insert(request, rng_before, SampledCounts{drawn, rng});
    }
  }

  std::vector<std::vector<std::int64_t>> member_counts;
  for (std::int64_t g = 0; g < in.groups; ++g) {
    auto counts = traced ? traced_counts : std::move(drawn[static_cast<std::size_t>(g)]);
    const auto summary = summarize_load(counts, plan.capacity);
    const std::int64_t dropped = in.padding == Padding::capacity ? summary.dropped : 0;
    plan.assignments = size_sum("assignments", {plan.assignments, summary.assignments});
    plan.dropped = size_sum("dropped assignments", {plan.dropped, dropped});
    plan.kept_rows = std::max(plan.kept_rows, summary.assignments - dropped);
    plan.aux_loss_proxy_sum += aux_loss_proxy(counts);
    if (router_prob) *plan.aux_loss_sum += aux_loss(counts, *router_prob);
    if (g < in.ep && in.padding == Padding::dropless) member_counts.push_back(std::move(counts));
  }
  plan.groups_sampled = in.groups;

  if (in.padding == Padding::capacity) {
    plan.dispatch_rows = size_product("dispatch rows", {experts, plan.capacity});
    plan.rows_per_local_expert.assign(static_cast<std::size_t>(local),
                                      size_product("rows per expert", {in.ep, plan.capacity}));
    plan.received_rows = plan.dispatch_rows;  // local * ep * C
    plan.alltoall_bytes_per_rank = Bytes(size_product("all-to-all bytes per rank", {plan.dispatch_rows, s.d_model, b}));
    return plan;
  }
  // Dropless: member j hosts experts [j*local, (j+1)*local) and receives every token routed there.
  plan.dispatch_rows = assignments_per_group;
  auto placement = place_dropless(member_counts, Bytes(size_product("row bytes", {s.d_model, b})));
  plan.matrix = std::move(placement.matrix);
  plan.rows_per_local_expert = std::move(placement.critical_rows);
  plan.received_rows = placement.critical_received;
  return plan;
}

}  // namespace switchsim::model
