#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <numeric>

#include "config/error.hpp"
#include "model/layout.hpp"
#include "model/routing.hpp"

using namespace switchsim;
using namespace switchsim::model;

TEST_CASE("expert capacity is (tokens / experts) x capacity factor, rounded up, at least min_capacity") {
  CHECK(expert_capacity(1024, 8, 1.0, 1, 4) == 128);
  CHECK(expert_capacity(1024, 8, 1.25, 1, 4) == 160);
  CHECK(expert_capacity(1000, 8, 1.0, 1, 4) == 125);
  CHECK(expert_capacity(1001, 8, 1.0, 1, 4) == 126);
  CHECK(expert_capacity(10, 8, 1.0, 1, 4) == 4);
  // Top-2: two assignments per token double the capacity at the same factor.
  CHECK(expert_capacity(1024, 8, 1.0, 2, 4) == 256);
  CHECK_THROWS_AS(expert_capacity(1024, 8, 0.0, 1, 4), std::invalid_argument);
}

TEST_CASE("tokens over an expert's capacity are dropped") {
  const auto s = summarize_load({5, 1, 0, 2}, 2);
  CHECK(s.assignments == 8);
  CHECK(s.dropped == 3);
  CHECK(s.max_count == 5);
  CHECK(s.dropped_frac() == Approx(3.0 / 8.0));
}

TEST_CASE("a perfectly uniform load gives an auxiliary loss of alpha, whatever the router's confidence") {
  CHECK(auxiliary_loss({4, 4, 4, 4}, 1.0) == Approx(0.01));
  CHECK(auxiliary_loss({4, 4, 4, 4}, 0.3) == Approx(0.01));
}

TEST_CASE("all tokens on one expert with router probability 1 give alpha x N") {
  CHECK(auxiliary_loss({16, 0, 0, 0}, 1.0) == Approx(0.04));
  CHECK(auxiliary_loss(std::vector<std::int64_t>(127, 0), 1.0) == 0.0);
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
