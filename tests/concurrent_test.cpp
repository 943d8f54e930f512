// The repeated-round shortcut of net/concurrent.hpp against the plain simulation (every
// round of every group on one network): the same picoseconds on small topologies.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "comm/flow_comm.hpp"
#include "config/catalog.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "net/concurrent.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
using switchsim::test::catalog;

net::CollectiveSpec spec_over(std::vector<std::int32_t> ranks, net::CollectiveOp op, net::Algorithm a, Bytes s) {
  net::CollectiveSpec c;
  c.op = op;
  c.algorithm = a;
  c.bytes_per_rank = s;
  c.ranks = std::move(ranks);
  return c;
}
std::vector<std::int32_t> first(std::int32_t n) {
  std::vector<std::int32_t> r(static_cast<std::size_t>(n));
  std::iota(r.begin(), r.end(), 0);
  return r;
}

// 4 nodes of 2 endpoints (NVLink inside, 100 GB/s NICs), 2 nodes a leaf, non-blocking.
topology::Topology four_node_fat_tree() {
  return switchsim::test::fat_tree(4, 2, 2, BytesPerSecond(100e9), false, "fat-tree-4x2");
}
using switchsim::test::torus_4x4;

void check_same_as_plain(const topology::Topology& t, const std::vector<net::CollectiveSpec>& specs,
                         bool expect_collapsed) {
  // The round-collapse shortcut alone (symmetry reduction off) is exact to the picosecond;
  // with symmetry reduction on, every round may end a picosecond apart (drains are rounded
  // up from rates equal but for their last bits: net/symmetry.hpp).
  const auto fast = net::concurrent_collectives_time(t, specs, net::ConcurrentOptions{true, false});
  const auto plain = net::concurrent_collectives_time(t, specs, net::ConcurrentOptions{false});
  const auto reduced = net::concurrent_collectives_time(t, specs);
  std::int64_t rounds = 0;
  for (const auto& spec : specs) rounds = std::max<std::int64_t>(rounds, static_cast<std::int64_t>(net::collective_rounds(t, spec).size()));
  CHECK(std::abs(reduced.time.count() - plain.time.count()) <= rounds);
  CHECK_FALSE(plain.collapsed);
  CHECK(fast.collapsed == expect_collapsed);
  CHECK(fast.time == plain.time);  // the same picoseconds
  CHECK(fast.peak_utilization == plain.peak_utilization);
  CHECK(fast.solves <= plain.solves);
}
}  // namespace

TEST_CASE("a ring step repeated 2(n-1) times is one run of the same round") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto runs = net::collective_round_runs(t, spec_over(first(8), net::CollectiveOp::allreduce, net::Algorithm::ring, 8_MiB));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].count == 14);
  CHECK(runs[0].flows.size() == 8);
  // Direct all-reduce: reduce-scatter and all-gather are the same all-pairs round, merged.
  const auto direct = net::collective_round_runs(t, spec_over(first(8), net::CollectiveOp::allreduce, net::Algorithm::direct, 8_MiB));
  REQUIRE(direct.size() == 1);
  CHECK(direct[0].count == 2);
  // Expanding the runs gives the round list.
  CHECK(net::collective_rounds(t, spec_over(first(8), net::CollectiveOp::allreduce, net::Algorithm::ring, 8_MiB)).size() == 14);
}

TEST_CASE("a collapsed 8 MiB ring all-reduce on a DGX H100 takes 14 rounds of ceil(1 MiB / 450 GB/s) + 1 us, to the picosecond") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto r = net::concurrent_collectives_time(
      t, std::vector{spec_over(first(8), net::CollectiveOp::allreduce, net::Algorithm::ring, 8_MiB)});
  // 1,048,576 B / 450e9 B/s = 2,330,168.9 ps, rounded up; α = 2 x 0.5 us.
  CHECK(r.time == Picoseconds(14 * (2'330'169 + 1'000'000)));
  CHECK(r.collapsed);
  CHECK(r.solves == 1);
}

TEST_CASE("one collective with collapsed rounds takes the same picoseconds as every round simulated") {
  using net::Algorithm;
  using net::CollectiveOp;
  struct Case {
    CollectiveOp op;
    Algorithm algorithm;
  };
  const std::vector<Case> cases = {
      {CollectiveOp::allreduce, Algorithm::ring},      {CollectiveOp::allreduce, Algorithm::tree},
      {CollectiveOp::allreduce, Algorithm::hierarchical}, {CollectiveOp::allreduce, Algorithm::direct},
      {CollectiveOp::allgather, Algorithm::ring},      {CollectiveOp::reducescatter, Algorithm::ring},
      {CollectiveOp::alltoall, Algorithm::pairwise},   {CollectiveOp::alltoall, Algorithm::hierarchical}};
  const std::vector<std::pair<std::string, topology::Topology>> topologies = [] {
    std::vector<std::pair<std::string, topology::Topology>> v;
    v.emplace_back("dgx-h100-8", topology::build_topology(catalog().cluster("dgx-h100-8")));
    v.emplace_back("fat-tree-4x2", four_node_fat_tree());
    v.emplace_back("torus-4x4", torus_4x4());
    return v;
  }();
  for (const auto& [name, t] : topologies)
    for (const auto& c : cases) {
      if (c.algorithm == Algorithm::hierarchical && name == "torus-4x4") continue;  // no node level
      for (const Bytes s : {Bytes(1000), Bytes(3'000'001), 64_MiB}) {
        INFO(name << " " << net::to_string(c.op) << " " << net::to_string(c.algorithm) << " " << s.count() << " B");
        check_same_as_plain(t, {spec_over(first(static_cast<std::int32_t>(t.endpoint_count())), c.op, c.algorithm, s)},
                            true);
      }
    }
}

TEST_CASE("symmetric groups that end every round together are collapsed and match the plain simulation") {
  const auto t = four_node_fat_tree();
  // Two rails (even and odd endpoints), each a ring over the 4 nodes through the NICs.
  const std::vector<net::CollectiveSpec> rails = {
      spec_over({0, 2, 4, 6}, net::CollectiveOp::allreduce, net::Algorithm::ring, 12_MiB),
      spec_over({1, 3, 5, 7}, net::CollectiveOp::allreduce, net::Algorithm::ring, 12_MiB)};
  check_same_as_plain(t, rails, true);
  // Four node-local pairs on NVLink.
  std::vector<net::CollectiveSpec> pairs;
  for (std::int32_t a = 0; a < 8; a += 2)
    pairs.push_back(spec_over({a, a + 1}, net::CollectiveOp::allreduce, net::Algorithm::ring, 12_MiB));
  check_same_as_plain(t, pairs, true);
}

TEST_CASE("groups that do not end their rounds together fall back to the plain simulation") {
  const auto t = torus_4x4();
  // Neighbours 0-1 (one hop) and 0-2 apart by two hops: the second group's rounds take a
  // hop latency longer, so the groups drift apart and no round repeats from the same state.
  const std::vector<net::CollectiveSpec> groups = {
      spec_over({4, 5}, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_MiB),
      spec_over({8, 10}, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_MiB)};
  check_same_as_plain(t, groups, false);
  // Groups of different sizes have different run counts: plain as well.
  const std::vector<net::CollectiveSpec> sizes = {
      spec_over({0, 1}, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_MiB),
      spec_over({4, 5, 6, 7}, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_MiB)};
  check_same_as_plain(t, sizes, false);
}

TEST_CASE("a flow-network training step takes the same picoseconds with and without the shortcut") {
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  for (const std::string allreduce : {"ring", "tree", "hierarchical"}) {
    INFO(allreduce);
    s.allreduce_algorithm = allreduce;
    const auto inputs = model::make_inputs(s, catalog());
    comm::FlowComm fast(inputs.cluster, {}, net::ConcurrentOptions{true, false});  // symmetry reduction off: exact
    comm::FlowComm plain(inputs.cluster, {}, net::ConcurrentOptions{false});
    const auto a = model::simulate_step(inputs, fast);
    const auto b = model::simulate_step(inputs, plain);
    CHECK(a.step_time == b.step_time);
    CHECK(fast.solves() < plain.solves());
  }
}
