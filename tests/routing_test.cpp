#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <string>

#include "config/error.hpp"
#include "model/layout.hpp"
#include "model/routing.hpp"
#include "moe/capacity.hpp"

using namespace switchsim;
using namespace switchsim::model;

TEST_CASE("expert capacity is (tokens / experts) x capacity factor, rounded up, at least min_capacity") {
  CHECK(moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 128);
  CHECK(moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 1, .capacity_factor = 1.25, .min_capacity = 4}) == 160);
  CHECK(moe::expert_capacity({.tokens = 1000, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 125);
  CHECK(moe::expert_capacity({.tokens = 1001, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 126);
  CHECK(moe::expert_capacity({.tokens = 10, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 4);
  // Top-2: two assignments per token double the capacity at the same factor.
  CHECK(moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 2, .capacity_factor = 1.0, .min_capacity = 4}) == 256);
  CHECK_THROWS_AS(moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 1, .capacity_factor = 0.0, .min_capacity = 4}), std::invalid_argument);
}

TEST_CASE("tokens over an expert's capacity are dropped") {
  const auto s = summarize_load({5, 1, 0, 2}, 2);
  CHECK(s.assignments == 8);
  CHECK(s.dropped == 3);
  CHECK(s.max_count == 5);
  CHECK(s.dropped_frac() == Approx(3.0 / 8.0));
}

TEST_CASE("a perfectly uniform load gives an auxiliary loss proxy of alpha") {
  CHECK(aux_loss_proxy({4, 4, 4, 4}) == Approx(0.01));
}

TEST_CASE("all tokens on one expert give an auxiliary loss proxy of alpha x N") {
  CHECK(aux_loss_proxy({16, 0, 0, 0}) == Approx(0.04));
  CHECK(aux_loss_proxy(std::vector<std::int64_t>(127, 0)) == 0.0);
}

TEST_CASE("sampled counts always sum to the assignments and are reproducible for a seed") {
  std::mt19937_64 a(7), b(7);
  const std::vector<double> shares(16, 1.0 / 16);
  const auto ca = sample_counts(shares, 100'000, a);
  const auto cb = sample_counts(shares, 100'000, b);
  CHECK(ca == cb);
  CHECK(std::accumulate(ca.begin(), ca.end(), std::int64_t{0}) == 100'000);
  for (auto c : ca) CHECK(std::abs(c - 6250) < 6 * 77);  // 6 sigma of Binomial(100000, 1/16)
}

TEST_CASE("zipf shares fall off as rank^-s and sum to one") {
  std::mt19937_64 rng(1);
  auto shares = expert_shares(parse_routing("zipf:1.0"), 8, 0, rng);
  CHECK(std::accumulate(shares.begin(), shares.end(), 0.0) == Approx(1.0));
  std::sort(shares.rbegin(), shares.rend());
  CHECK(shares[0] / shares[1] == Approx(2.0));
  CHECK(shares[0] / shares[3] == Approx(4.0));
}

TEST_CASE("hot:0.5 gives one expert half of the tokens and the rest an even share") {
  std::mt19937_64 rng(3);
  auto shares = expert_shares(parse_routing("hot:0.5"), 6, 0, rng);
  std::sort(shares.rbegin(), shares.rend());
  CHECK(shares[0] == Approx(0.5));
  CHECK(shares[5] == Approx(0.1));
}

TEST_CASE("routing specs are parsed strictly") {
  CHECK_THROWS_AS(parse_routing("zipf"), std::invalid_argument);
  CHECK_THROWS_AS(parse_routing("zipf:-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_routing("hot:1.5"), std::invalid_argument);
  CHECK_THROWS_AS(parse_routing("random"), std::invalid_argument);
  CHECK(parse_routing("uniform").kind == RoutingSpec::Kind::uniform);
}

TEST_CASE("a routing trace whose counts do not sum to the tokens is refused with its pointer") {
  const std::string path = "/tmp/switchsim_trace_test.json";
  {
    std::ofstream out(path);
    out << R"({"experts": 4, "tokens_per_group": 8, "steps": [[2, 2, 2, 2], [4, 4, 1, 0]]})";
  }
  try {
    load_routing_trace(path, 4);
    FAIL("expected an error");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) == path + ": /steps/1: counts sum to 9, expected tokens_per_group x top_k = 8");
  }
  std::remove(path.c_str());
}

TEST_CASE("a routing trace gives per-step shares") {
  const std::string path = "/tmp/switchsim_trace_test2.json";
  {
    std::ofstream out(path);
    out << R"({"experts": 4, "tokens_per_group": 8, "steps": [[8, 0, 0, 0]]})";
  }
  const auto spec = load_routing_trace(path, 4);
  std::mt19937_64 rng(1);
  CHECK(expert_shares(spec, 4, 0, rng) == std::vector<double>{1.0, 0.0, 0.0, 0.0});
  CHECK_THROWS_AS(load_routing_trace(path, 8), config::ConfigError);
  std::remove(path.c_str());
}

TEST_CASE("layouts: experts go over the data axis, and inconsistent layouts are refused") {
  const auto l = parse_layout("", 8, 128);
  CHECK(l.dp == 8);
  CHECK(l.ep == 8);
  CHECK(l.experts_per_device(128) == 16);
  const auto few = parse_layout("", 1024, 128);
  CHECK(few.ep == 128);
  CHECK(few.expert_replicas() == 8);
  const auto mixed = parse_layout("tp=2", 8, 8);
  CHECK(mixed.dp == 4);
  CHECK(mixed.ep == 4);
  CHECK_THROWS_AS(parse_layout("dp=4", 8, 8), std::invalid_argument);
  CHECK_THROWS_AS(parse_layout("", 8, 6), std::invalid_argument);
  CHECK_THROWS_AS(parse_layout("ep=3", 6, 8), std::invalid_argument);
  CHECK_THROWS_AS(parse_layout("tp=3", 8, 8), std::invalid_argument);
  CHECK_THROWS_AS(parse_layout("pp=2", 8, 8), std::invalid_argument);
}

TEST_CASE("the auxiliary loss with the router's probabilities is alpha N sum f_i P_i") {
  // f = (1/2, 1/2, 0, 0), P = (0.4, 0.3, 0.2, 0.1): 0.01 x 4 x (0.2 + 0.15) = 0.014.
  CHECK(aux_loss({2, 2, 0, 0}, {0.4, 0.3, 0.2, 0.1}) == Approx(0.014));
  // The proxy of the same counts: 0.01 x 4 x (1/4 + 1/4) = 0.02.
  CHECK(aux_loss_proxy({2, 2, 0, 0}) == Approx(0.02));
  CHECK_THROWS_AS(aux_loss({2, 2}, {1.0}), std::invalid_argument);
}

TEST_CASE("sampling 2^62 assignments returns at once, sums exactly and repeats for a seed") {
  const std::int64_t n = std::int64_t{1} << 62;
  const std::vector<double> shares(8, 1.0 / 8);
  std::mt19937_64 a(5), b(5);
  const auto ca = sample_counts(shares, n, a);
  CHECK(ca == sample_counts(shares, n, b));
  std::int64_t sum = 0;
  for (auto c : ca) {
    CHECK(c >= 0);
    sum += c;
  }
  CHECK(sum == n);
  // The first expert's count is Binomial(2^62, 1/8): mean 2^59, sd sqrt(2^62 x 7/64) ~ 7.1e8.
  CHECK(std::abs(static_cast<double>(ca[0]) - std::ldexp(1.0, 59)) < 6 * 7.1e8);
  // Just above the exact-draw limit, on a skewed load, too.
  std::mt19937_64 c(9);
  const auto skewed = sample_counts({0.7, 0.2, 0.1}, kExactBinomialLimit + 1, c);
  CHECK(skewed[0] + skewed[1] + skewed[2] == kExactBinomialLimit + 1);
}

namespace {
std::string write_trace(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/switchsim_" + name + "_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

TEST_CASE("a trace's counts are used as given, or scaled by largest remainders to another group size") {
  const auto path = write_trace("trace_scale", R"({"experts": 8, "tokens_per_group": 512,
      "steps": [[128, 64, 64, 64, 64, 64, 64, 0]]})");
  const auto spec = load_routing_trace(path, 8);
  CHECK(trace_counts(*spec.trace, 0, 512) == std::vector<std::int64_t>{128, 64, 64, 64, 64, 64, 64, 0});
  // 114 tokens: exact shares 28.5 and 14.25 (x6), floors 28 + 6 x 14 = 112; the two missing
  // go to the largest remainders, expert 0 (0.5) then expert 1 (0.25, the first of the ties).
  CHECK(trace_counts(*spec.trace, 0, 114) == std::vector<std::int64_t>{29, 15, 14, 14, 14, 14, 14, 0});
  CHECK_THROWS_AS(trace_counts(*spec.trace, 1, 512), std::out_of_range);
  std::remove(path.c_str());
}

TEST_CASE("a trace must route the model's top-k, with at most one assignment per token and expert") {
  const auto top2 = write_trace("trace_top2", R"({"experts": 4, "tokens_per_group": 4, "top_k": 2,
      "steps": [[4, 4, 0, 0], {"counts": [2, 2, 2, 2], "router_prob": [0.25, 0.25, 0.25, 0.25]}]})");
  const auto spec = load_routing_trace(top2, 4, 2);
  CHECK(spec.trace->steps.size() == 2);
  CHECK(spec.trace->steps[1].router_prob.size() == 4);
  try {
    load_routing_trace(top2, 4, 1);
    FAIL("expected an error");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) == top2 + ": /top_k: the trace routes top-2 but the model routes top-1");
  }
  const auto over = write_trace("trace_over", R"({"experts": 4, "tokens_per_group": 4, "top_k": 2,
      "steps": [[5, 3, 0, 0]]})");
  try {
    load_routing_trace(over, 4, 2);
    FAIL("expected an error");
  } catch (const config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith(over + ": /steps/0/0: count 5 exceeds tokens_per_group 4"));
  }
  std::remove(top2.c_str());
  std::remove(over.c_str());
}
