#include <catch2/catch.hpp>

#include <stdexcept>

#include "moe/capacity.hpp"
#include "ref/cpu/routing.hpp"

using namespace switchsim::ref::cpu;

TEST_CASE("expert capacity follows C = max(ceil(cf k T / E), min_capacity)") {
  CHECK(switchsim::moe::expert_capacity({.tokens = 256, .experts = 4, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 64);
  CHECK(switchsim::moe::expert_capacity({.tokens = 10, .experts = 4, .top_k = 1, .capacity_factor = 1.25, .min_capacity = 0}) == 4);   // ceil(3.125)
  CHECK(switchsim::moe::expert_capacity({.tokens = 100, .experts = 8, .top_k = 1, .capacity_factor = 2.0, .min_capacity = 0}) == 25);
  CHECK(switchsim::moe::expert_capacity({.tokens = 10, .experts = 4, .top_k = 2, .capacity_factor = 1.0, .min_capacity = 0}) == 5);    // top-2 doubles the room
  CHECK(switchsim::moe::expert_capacity({.tokens = 8, .experts = 4, .top_k = 1, .capacity_factor = 0.5, .min_capacity = 4}) == 4);     // the minimum wins over ceil(1) = 1
  CHECK(switchsim::moe::expert_capacity({.tokens = 1000, .experts = 10, .top_k = 1, .capacity_factor = 1.1, .min_capacity = 0}) == 110);  // 1.1 * 100 is not rounded up to 111
}

TEST_CASE("top-1 routing places tokens in arrival order and drops the overflow") {
  // Tokens 0-4 prefer expert 0, token 5 expert 1; capacity 3.
  const std::vector<float> probs{0.9F, 0.1F, 0.9F, 0.1F, 0.9F, 0.1F, 0.9F, 0.1F, 0.9F, 0.1F, 0.2F, 0.8F};
  const auto plan = route_tokens(probs, 6, 2, 1, 3, 0.01);
  CHECK(plan.dropped == 2);
  CHECK(plan.kept_per_expert == std::vector<std::int64_t>{3, 1});
  CHECK(plan.routed_per_expert == std::vector<std::int64_t>{5, 1});
  for (int t = 0; t < 3; ++t) {
    CHECK(plan.assignments[t].kept);
    CHECK(plan.assignments[t].slot == t);
  }
  CHECK_FALSE(plan.assignments[3].kept);
  CHECK_FALSE(plan.assignments[4].kept);
  CHECK(plan.assignments[5].expert == 1);
  CHECK(plan.assignments[5].slot == 0);
  CHECK(plan.assignments[5].gate == Approx(0.8));
  // f = (5/6, 1/6), P = ((5*0.9+0.2)/6, (5*0.1+0.8)/6); aux = 0.01 * 2 * sum f P
  const double expected = 0.01 * 2 * (5.0 / 6 * 4.7 / 6 + 1.0 / 6 * 1.3 / 6);
  CHECK(plan.aux_loss == Approx(expected));
}

TEST_CASE("top-2 routing gives first choices the slots before any second choice") {
  const std::vector<float> probs{0.5F, 0.3F, 0.2F, 0.6F, 0.1F, 0.3F, 0.7F, 0.2F, 0.1F};
  const auto plan = route_tokens(probs, 3, 3, 2, 2, 0.01);
  // first choices: all expert 0 -> t0 slot 0, t1 slot 1, t2 dropped
  CHECK(plan.assignments[0].slot == 0);
  CHECK(plan.assignments[1].slot == 1);
  CHECK_FALSE(plan.assignments[2].kept);
  // second choices: t0 -> 1 (slot 0), t1 -> 2 (slot 0), t2 -> 1 (slot 1)
  CHECK(plan.assignments[3].expert == 1);
  CHECK(plan.assignments[3].slot == 0);
  CHECK(plan.assignments[4].expert == 2);
  CHECK(plan.assignments[4].slot == 0);
  CHECK(plan.assignments[5].expert == 1);
  CHECK(plan.assignments[5].slot == 1);
  CHECK(plan.dropped == 1);
}

TEST_CASE("the aux loss is alpha for a perfectly uniform load") {
  // Rows are rotations of (0.4, 0.2, 0.2, 0.2): each expert is first choice once, f_i = 1/4,
  // and every column averages (0.4 + 3 * 0.2) / 4 = 1/4.
  std::vector<float> probs;
  for (int t = 0; t < 4; ++t)
    for (int e = 0; e < 4; ++e) probs.push_back(e == t ? 0.4F : 0.2F);
  const auto plan = route_tokens(probs, 4, 4, 1, -1, 0.01);
  CHECK(plan.aux_loss == Approx(0.01));
}

TEST_CASE("the aux loss is alpha times E when every token goes to one expert with probability 1") {
  std::vector<float> probs(16 * 8, 0.0F);
  for (int t = 0; t < 16; ++t) probs[static_cast<std::size_t>(t * 8)] = 1.0F;
  const auto plan = route_tokens(probs, 16, 8, 1, -1, 0.01);
  CHECK(plan.aux_loss == Approx(0.01 * 8));
  CHECK(plan.dropped == 0);  // dropless: capacity < 0
}

TEST_CASE("routing skew specs give the documented logit biases and reject nonsense") {
  const auto zipf = switchsim::ref::cpu::routing_bias("zipf:1", 4);
  CHECK(zipf[0] == Approx(0.0));
  CHECK(zipf[3] == Approx(-std::log(4.0)));
  const auto hot = switchsim::ref::cpu::routing_bias("hot:0.5", 5);
  // softmax mass of expert 0 with all other logits equal: e^b / (e^b + 4) = 0.5
  CHECK(std::exp(hot[0]) / (std::exp(hot[0]) + 4.0) == Approx(0.5));
  CHECK_THROWS_AS(switchsim::ref::cpu::routing_bias("zipf", 4), std::invalid_argument);
  CHECK_THROWS_AS(switchsim::ref::cpu::routing_bias("hot:1.5", 4), std::invalid_argument);
  CHECK_THROWS_AS(switchsim::ref::cpu::routing_bias("skewed:2", 4), std::invalid_argument);
}

TEST_CASE("the router's logit gradients scatter the gates' gradients, add the balancing term, and go through the softmax") {
  // Token 0: p = (0.75, 0.25); token 1: p = (0.5, 0.5), a tie the lower expert wins. Both pick
  // expert 0 (gates 0.75 and 0.5), so f = (1, 0). The gates' gradients: 1 and 2.
  const std::vector<float> probs{0.75F, 0.25F, 0.5F, 0.5F};
  const auto plan = route_tokens(probs, 2, 2, 1, -1, 0.1);
  REQUIRE(plan.assignments[1].expert == 0);
  const std::vector<float> dgate{1.0F, 2.0F};
  std::vector<float> dlogits;
  // Without the balancing loss: dp = (1, 0) and (2, 0); s = sum dp p = 0.75 and 1;
  // p * (dp - s) = (0.75 * 0.25, 0.25 * -0.75) and (0.5 * 1, 0.5 * -1).
  router_logit_gradients(plan, dgate, probs, 0.0, dlogits);
  CHECK(dlogits[0] == Approx(0.1875));
  CHECK(dlogits[1] == Approx(-0.1875));
  CHECK(dlogits[2] == Approx(0.5));
  CHECK(dlogits[3] == Approx(-0.5));
  // alpha 0.1: d/dp[t,0] += alpha E f_0 / T = 0.1 * 2 * 1 / 2 = 0.1 -> dp = (1.1, 0), (2.1, 0);
  // s = 0.825, 1.05 -> (0.75 * 0.275, 0.25 * -0.825) and (0.5 * 1.05, 0.5 * -1.05).
  router_logit_gradients(plan, dgate, probs, 0.1, dlogits);
  CHECK(dlogits[0] == Approx(0.20625));
  CHECK(dlogits[1] == Approx(-0.20625));
  CHECK(dlogits[2] == Approx(0.525));
  CHECK(dlogits[3] == Approx(-0.525));
  // A dropped assignment carries no gradient: capacity 1 drops token 1's choice.
  const auto capped = route_tokens(probs, 2, 2, 1, 1, 0.1);
  REQUIRE_FALSE(capped.assignments[1].kept);
  router_logit_gradients(capped, dgate, probs, 0.0, dlogits);
  CHECK(dlogits[2] == 0.0F);
  CHECK(dlogits[3] == 0.0F);
  CHECK_THROWS_AS(router_logit_gradients(plan, {1.0F}, probs, 0.0, dlogits), std::invalid_argument);
}
