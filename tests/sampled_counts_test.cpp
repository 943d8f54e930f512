// The sampled-load cache (model/sampled_counts.hpp) changes no result: a plan drawn through it
// equals one drawn afresh, field by field, and leaves the generator where drawing leaves it.
#include <catch2/catch.hpp>

#include <random>

#include "model/routing.hpp"
#include "model/sampled_counts.hpp"
#include "model/switch_plan.hpp"

using namespace switchsim;
using namespace switchsim::model;

namespace {

SwitchPlanInputs inputs(const RoutingSpec& routing, double capacity_factor, Padding padding, SampledCountsCache* cache) {
  SwitchPlanInputs in;
  in.shape = moe::SwitchLayerShape{.tokens = 1024, .experts = 8, .top_k = 1, .d_model = 64, .d_ff = 256};
  in.capacity_factor = capacity_factor;
  in.padding = padding;
  in.ep = 4;
  in.groups = 6;
  in.routing = &routing;
  in.cache = cache;
  return in;
}

void require_same(const SwitchPlan& a, const SwitchPlan& b) {
  CHECK(a.capacity == b.capacity);
  CHECK(a.dispatch_rows == b.dispatch_rows);
  CHECK(a.kept_rows == b.kept_rows);
  CHECK(a.rows_per_local_expert == b.rows_per_local_expert);
  CHECK(a.received_rows == b.received_rows);
  CHECK(a.alltoall_bytes_per_rank == b.alltoall_bytes_per_rank);
  CHECK(a.matrix == b.matrix);
  CHECK(a.assignments == b.assignments);
  CHECK(a.dropped == b.dropped);
  CHECK(a.aux_loss_proxy_sum == b.aux_loss_proxy_sum);
}

}  // namespace

TEST_CASE("a plan drawn through the sampled-load cache equals one drawn afresh, and a repeat reuses the draws") {
  const RoutingSpec zipf = parse_routing("zipf:1.2");
  for (const Padding padding : {Padding::capacity, Padding::dropless}) {
    SampledCountsCache cache;
    std::mt19937_64 fresh(7), first(7), second(7);
    const SwitchPlan expected = plan_switch_layer(inputs(zipf, 1.0, padding, nullptr), fresh);
    const SwitchPlan miss = plan_switch_layer(inputs(zipf, 1.0, padding, &cache), first);
    CHECK(cache.hits() == 0);
    require_same(miss, expected);
    CHECK(first == fresh);

    // Another capacity factor: the same draws (a hit), the drops recounted at its capacity.
    std::mt19937_64 fresh_half(7);
    const SwitchPlan expected_half = plan_switch_layer(inputs(zipf, 0.5, padding, nullptr), fresh_half);
    const SwitchPlan hit = plan_switch_layer(inputs(zipf, 0.5, padding, &cache), second);
    CHECK(cache.hits() == 1);
    require_same(hit, expected_half);
    CHECK(second == fresh_half);
    if (padding == Padding::capacity) CHECK(hit.dropped > miss.dropped);  // zipf 1.2 overflows C at cf 0.5
  }
}

TEST_CASE("the sampled-load cache misses on another generator state, skew or group count") {
  const RoutingSpec zipf = parse_routing("zipf:1.2");
  const RoutingSpec hot = parse_routing("hot:0.3");
  SampledCountsCache cache;
  std::mt19937_64 a(7);
  plan_switch_layer(inputs(zipf, 1.0, Padding::capacity, &cache), a);
  // The generator after one draw is another state: a miss, and the plan is the uncached one.
  std::mt19937_64 b = a, b_fresh = a;
  const SwitchPlan next = plan_switch_layer(inputs(zipf, 1.0, Padding::capacity, &cache), b);
  require_same(next, plan_switch_layer(inputs(zipf, 1.0, Padding::capacity, nullptr), b_fresh));
  std::mt19937_64 c(7), c_fresh(7);
  const SwitchPlan other_skew = plan_switch_layer(inputs(hot, 1.0, Padding::capacity, &cache), c);
  require_same(other_skew, plan_switch_layer(inputs(hot, 1.0, Padding::capacity, nullptr), c_fresh));
  auto more_groups = inputs(zipf, 1.0, Padding::capacity, &cache);
  more_groups.groups = 8;
  std::mt19937_64 d(7);
  plan_switch_layer(more_groups, d);
  CHECK(cache.hits() == 0);
}
