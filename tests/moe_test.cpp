#include <catch2/catch.hpp>

#include <stdexcept>

#include "model/step_result.hpp"
#include "moe/capacity.hpp"
#include "moe/layer_shape.hpp"
#include "moe/phase.hpp"
#include "moe/routing_skew.hpp"
#include "report/result_row.hpp"

using namespace switchsim;

TEST_CASE("the model and the report name the step's phases from one list") {
  CHECK(&model::kStepPhases == &moe::kStepPhases);
  CHECK(&report::kStepPhases == &moe::kStepPhases);
  CHECK(moe::phase_name(moe::Phase::alltoall_combine) == "alltoall_combine");
  CHECK(moe::phase_name(moe::Phase::embedding) == "embedding");
}

TEST_CASE("expert capacity takes named arguments: C = max(ceil(cf k T / E), min_capacity)") {
  // 1.5 x 2 x 100 / 8 = 37.5 -> 38
  CHECK(moe::expert_capacity({.tokens = 100, .experts = 8, .top_k = 2, .capacity_factor = 1.5}) == 38);
  // ceil(1.0 x 3 / 8) = 1, raised to the minimum 4
  CHECK(moe::expert_capacity({.tokens = 3, .experts = 8, .capacity_factor = 1.0, .min_capacity = 4}) == 4);
  CHECK(moe::expert_capacity({.tokens = 0, .experts = 8}) == 0);
  CHECK_THROWS_AS(moe::expert_capacity({.tokens = 8, .experts = 8, .capacity_factor = -1}), std::invalid_argument);
  CHECK_THROWS_AS(moe::expert_capacity({.tokens = 8, .experts = 8, .top_k = 0}), std::invalid_argument);
}

TEST_CASE("a routing skew is parsed once into its kind and parameter") {
  const auto zipf = moe::parse_routing_skew("zipf:1.5");
  CHECK(zipf.kind == moe::RoutingSkew::Kind::zipf);
  CHECK(zipf.parameter == 1.5);
  CHECK(zipf.text == "zipf:1.5");
  CHECK(moe::parse_routing_skew("hot:1").parameter == 1.0);
  CHECK(moe::parse_routing_skew("uniform").kind == moe::RoutingSkew::Kind::uniform);
  for (const char* bad : {"zipf", "zipf:", "zipf:x", "zipf:-0.5", "hot:0", "hot:1.01", "uniform:2", "gauss:1", "hot:nan"}) {
    INFO(bad);
    CHECK_THROWS_AS(moe::parse_routing_skew(bad), std::invalid_argument);
  }
}

TEST_CASE("skew shares: zipf falls as (e+1)^-S, hot gives expert 0 the fraction F and the rest an even share") {
  const auto zipf = moe::skew_shares(moe::parse_routing_skew("zipf:1"), 3);  // 1, 1/2, 1/3 over 11/6
  CHECK(zipf[0] == Approx(6.0 / 11));
  CHECK(zipf[1] == Approx(3.0 / 11));
  CHECK(zipf[2] == Approx(2.0 / 11));
  const auto hot = moe::skew_shares(moe::parse_routing_skew("hot:0.4"), 4);
  CHECK(hot[0] == Approx(0.4));
  CHECK(hot[3] == Approx(0.2));
  CHECK(moe::skew_shares(moe::parse_routing_skew("hot:0.4"), 1) == std::vector<double>{1.0});
  for (double p : moe::skew_shares(moe::parse_routing_skew("uniform"), 5)) CHECK(p == Approx(0.2));
}

TEST_CASE("a layer shape counts T x k assignments without wrapping") {
  moe::SwitchLayerShape s{.tokens = 1024, .experts = 8, .top_k = 2, .d_model = 64, .d_ff = 256};
  CHECK(s.assignments() == 2048);
  s.validate();
  s.tokens = std::int64_t{1} << 62;
  s.top_k = 4;
  CHECK_THROWS_AS(s.assignments(), OverflowError);
  s.top_k = 9;
  CHECK_THROWS_AS(s.validate(), std::invalid_argument);
}
