// Class mode (net::NetworkOptions::symmetric_classes, net/class_paths.hpp): transfers that a
// subgroup of the topology's symmetries keeps run as one entry per flow class; a start the
// subgroup does not keep refines the classes to a smaller subgroup or to flows. Every case
// runs the same traffic with class mode on and off (flows) and compares every end, to
// kCompletionSlack (class and flow rates equal but for the last bits of their sums).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <vector>

#include "net/network.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"

using namespace switchsim;

namespace {
using switchsim::test::crossbar;
using switchsim::test::torus_4x4;
using switchsim::test::within_slack;

net::NetworkOptions classes(bool on) {
  net::NetworkOptions o;
  o.symmetric_classes = on;
  return o;
}

net::AllPairs every_pair(std::int32_t count, Bytes bytes) {
  net::AllPairs p;
  p.ranks.resize(static_cast<std::size_t>(count));
  std::iota(p.ranks.begin(), p.ranks.end(), 0);
  p.bytes = bytes;
  return p;
}

// Endpoint e = node * per_node + gpu of the small fat trees.
// Each GPU to the same GPU of the next node (one ring per rail).
std::vector<net::Flow> rail_ring(std::int32_t nodes, std::int32_t per_node, Bytes bytes) {
  std::vector<net::Flow> flows;
  for (std::int32_t n = 0; n < nodes; ++n)
    for (std::int32_t g = 0; g < per_node; ++g) flows.push_back(net::Flow{n * per_node + g, ((n + 1) % nodes) * per_node + g, bytes});
  return flows;
}
// Each GPU to the next GPU of its node.
std::vector<net::Flow> node_ring(std::int32_t nodes, std::int32_t per_node, Bytes bytes) {
  std::vector<net::Flow> flows;
  for (std::int32_t n = 0; n < nodes; ++n)
    for (std::int32_t g = 0; g < per_node; ++g) flows.push_back(net::Flow{n * per_node + g, n * per_node + (g + 1) % per_node, bytes});
  return flows;
}

// A transfer to start: explicit flows, or an all-to-all.
struct Start {
  Picoseconds at{0};
  std::vector<net::Flow> flows;
  std::optional<net::AllPairs> pairs;
};

struct Outcome {
  std::vector<Picoseconds> ends;
  std::vector<double> peak;
  std::uint64_t class_openings = 0;
  std::uint64_t refinements = 0;
  std::vector<std::size_t> active_after_start;  // active entries right after each start
};

Outcome run(const topology::Topology& t, const std::vector<Start>& starts, bool on, bool coalesce = false) {
  engine::EventQueue q;
  auto options = classes(on);
  options.coalesce_starts = coalesce;
  net::Network network(t, q, options);
  Outcome out;
  out.ends.assign(starts.size(), Picoseconds(-1));
  out.active_after_start.assign(starts.size(), 0);
  for (std::size_t i = 0; i < starts.size(); ++i)
    q.schedule(starts[i].at, 0, [&, i] {
      const auto done = [&out, &q, i] { out.ends[i] = q.now(); };
      if (starts[i].pairs)
        network.transfer(*starts[i].pairs, done);
      else
        network.transfer(starts[i].flows, done);
      out.active_after_start[i] = network.active_flows();
    });
  q.run();
  out.peak = network.peak_utilization();
  out.class_openings = network.class_openings();
  out.refinements = network.refinements();
  return out;
}

void check_same_ends(const Outcome& with_classes, const Outcome& flows) {
  REQUIRE(with_classes.ends.size() == flows.ends.size());
  for (std::size_t i = 0; i < flows.ends.size(); ++i) {
    INFO("transfer " << i << ": classes " << with_classes.ends[i].count() << " ps, flows " << flows.ends[i].count() << " ps");
    CHECK(flows.ends[i] >= Picoseconds(0));
    CHECK(within_slack(with_classes.ends[i], flows.ends[i]));
  }
  REQUIRE(with_classes.peak.size() == flows.peak.size());
  for (std::size_t l = 0; l < flows.peak.size(); ++l) {
    INFO("link " << l);
    CHECK(with_classes.peak[l] == Approx(flows.peak[l]).epsilon(1e-9).margin(1e-12));
  }
}
}  // namespace

TEST_CASE("a ring on an idle crossbar runs as one class, and a flow it does not keep splits it at the hand-computed times") {
  // 4 endpoints on one switch, 100 GB/s and 1 us a link. The ring i -> i+1 (100 MB a flow) is
  // kept by the rotation: one entry of weight 4, each flow alone on its links at 100 GB/s.
  // At 0.5 ms a flow 0 -> 2 of 100 MB starts: it shares 0's uplink with 0 -> 1 and 2's
  // downlink with 1 -> 2, so those three get 50 GB/s; 2 -> 3 and 3 -> 0 drain at 1 ms (their
  // links are not shared). 0 -> 1 and 1 -> 2 have 25 MB left then: drained at 1.5 ms. The
  // flow 0 -> 2 has sent 50 MB by 1.5 ms and the rest at 100 GB/s: drained at 2 ms.
  // Deliveries are 2 us (two links) after the last byte.
  const auto t = crossbar(4);
  const Bytes bytes(100'000'000);
  std::vector<net::Flow> ring;
  for (std::int32_t i = 0; i < 4; ++i) ring.push_back(net::Flow{i, (i + 1) % 4, bytes});
  const std::vector<Start> starts = {Start{Picoseconds(0), ring, std::nullopt},
                                     Start{Picoseconds(500'000'000), {net::Flow{0, 2, bytes}}, std::nullopt}};
  const auto with_classes = run(t, starts, true);
  const auto flows = run(t, starts, false);
  CHECK(with_classes.active_after_start[0] == 1);  // one class
  CHECK(flows.active_after_start[0] == 4);
  CHECK(with_classes.active_after_start[1] == 5);  // split into the ring's flows, and the new one
  CHECK(with_classes.refinements == 1);
  CHECK(flows.refinements == 0);
  for (const auto* o : {&with_classes, &flows}) {
    CHECK(std::abs(o->ends[0].count() - (1'500'000'000 + 2'000'000)) <= 2);
    CHECK(std::abs(o->ends[1].count() - (2'000'000'000 + 2'000'000)) <= 2);
  }
  check_same_ends(with_classes, flows);
}

TEST_CASE("an all-to-all opened by rail rings runs as classes of the subgroup that keeps both, at the flow-by-flow times") {
  // The 8-GPU rail-optimized fat tree (4 nodes of 2 GPUs, 2 nodes a leaf) has three
  // symmetries of order 2: the node in its leaf, the leaf group, the GPU (with its rail).
  // The all-to-all is kept by all 8 elements; the rail rings (node n to n+1 on each rail) by
  // the leaf-group shift and the GPU rotation only (swapping the nodes of a leaf reverses
  // the ring): 4 elements, so 56 flows + 8 flows are 14 + 2 classes. A flow 0 -> 2 started
  // later is kept by none: the classes split into flows.
  const auto t = switchsim::test::eight_gpu_fat_tree(true);
  const auto alone = run(t, {Start{Picoseconds(0), {}, every_pair(8, Bytes(8'000'000))}}, false).ends[0];
  REQUIRE(alone.count() > 900'000'000);  // the NIC flows drain in about 960 us
  for (const double ring_at : {0.005, 0.3, 0.9}) {
    for (const bool split_later : {false, true}) {
      INFO("rail rings at " << ring_at << " of the all-to-all, split later " << split_later);
      const auto at = [&](double f) { return Picoseconds(static_cast<std::int64_t>(f * static_cast<double>(alone.count()))); };
      std::vector<Start> starts = {Start{Picoseconds(0), {}, every_pair(8, Bytes(8'000'000))},
                                   Start{at(ring_at), rail_ring(4, 2, Bytes(2'000'000)), std::nullopt}};
      if (split_later) starts.push_back(Start{at(ring_at + 0.05), {net::Flow{0, 2, Bytes(1'000'000)}}, std::nullopt});
      const auto with_classes = run(t, starts, true);
      const auto flows = run(t, starts, false);
      CHECK(with_classes.class_openings == 1);
      CHECK(flows.class_openings == 0);
      // The intra-node flows (16 of 56) drain in about 18 us: at 0.005 all are left.
      if (ring_at < 0.01) CHECK(with_classes.active_after_start[1] == 14 + 2);
      CHECK(with_classes.active_after_start[1] < flows.active_after_start[1]);
      CHECK(with_classes.refinements == (split_later ? 1u : 0u));
      check_same_ends(with_classes, flows);
    }
  }
}

TEST_CASE("classes of the whole group refine to the subgroup a later start keeps, at the flow-by-flow times") {
  // Node rings (GPU g to g+1 in each node: kept by every symmetry, 8 flows, one class of 8) on
  // the idle rail-optimized fat tree, then rail rings (kept by 4 elements) while they send:
  // the node rings' class splits into two classes of 4, and the rail rings enter as 2.
  const auto t = switchsim::test::eight_gpu_fat_tree(true);
  const std::vector<Start> starts = {Start{Picoseconds(0), node_ring(4, 2, Bytes(9'000'000)), std::nullopt},
                                     Start{Picoseconds(5'000'000), rail_ring(4, 2, Bytes(1'000'000)), std::nullopt}};
  const auto with_classes = run(t, starts, true);
  const auto flows = run(t, starts, false);
  CHECK(with_classes.active_after_start[0] == 1);
  CHECK(with_classes.active_after_start[1] == 2 + 2);
  CHECK(flows.active_after_start[1] == 16);
  CHECK(with_classes.refinements == 1);
  check_same_ends(with_classes, flows);
}

TEST_CASE("random starts of symmetric and asymmetric transfers end at the flow-by-flow times with classes") {
  // All-to-alls (sealed on an idle network, else entered as they come), node and rail rings,
  // rings over every endpoint, and single random flows, at random times and sizes, on a
  // crossbar, fat trees and a torus; with and without coalesced starts. Whatever classes,
  // openings and refinements happen, every end and every link's peak must be flow by flow's.
  struct Topo {
    std::string name;
    topology::Topology t;
    std::int32_t nodes, per_node;
  };
  std::vector<Topo> topologies;
  topologies.push_back(Topo{"crossbar-8", crossbar(8), 1, 8});
  topologies.push_back(Topo{"fat-tree-8", switchsim::test::eight_gpu_fat_tree(false), 4, 2});
  topologies.push_back(Topo{"rail-fat-tree-8", switchsim::test::eight_gpu_fat_tree(true), 4, 2});
  topologies.push_back(Topo{"fat-tree-16x2", switchsim::test::fat_tree(8, 2, 4, BytesPerSecond(50e9), true, "rail-16"), 8, 2});
  topologies.push_back(Topo{"torus-4x4", torus_4x4(), 16, 1});
  std::mt19937_64 rng(20261203);
  std::uint64_t used_classes = 0, refined = 0;
  for (const auto& topo : topologies)
    for (int trial = 0; trial < 12; ++trial) {
      const auto n = static_cast<std::int32_t>(topo.t.endpoint_count());
      std::uniform_int_distribution<int> kind(0, 4);
      std::uniform_int_distribution<std::int64_t> mb(1, 8);
      std::uniform_int_distribution<std::int64_t> when(0, 400'000'000);
      std::uniform_int_distribution<std::int32_t> endpoint(0, n - 1);
      std::vector<Start> starts;
      for (int s = 0; s < 6; ++s) {
        Start st;
        st.at = Picoseconds(s == 0 ? 0 : when(rng));
        const Bytes bytes(mb(rng) * 1'000'000);
        switch (kind(rng)) {
          case 0: st.pairs = every_pair(n, bytes); break;
          case 1: st.flows = node_ring(topo.nodes, topo.per_node, bytes); break;
          case 2: st.flows = rail_ring(topo.nodes, topo.per_node, bytes); break;
          case 3:
            for (std::int32_t i = 0; i < n; ++i) st.flows.push_back(net::Flow{i, (i + 1) % n, bytes});
            break;
          default: {
            const auto a = endpoint(rng);
            st.flows.push_back(net::Flow{a, (a + 1 + endpoint(rng) % (n - 1)) % n, bytes});
          }
        }
        starts.push_back(std::move(st));
      }
      for (const bool coalesce : {false, true}) {
        INFO(topo.name << " trial " << trial << " coalesce " << coalesce);
        const auto with_classes = run(topo.t, starts, true, coalesce);
        const auto flows = run(topo.t, starts, false, coalesce);
        used_classes += with_classes.active_after_start != flows.active_after_start ? 1 : 0;
        refined += with_classes.refinements;
        check_same_ends(with_classes, flows);
      }
    }
  // The draws exercised classes and refinements (a property that could fail if class mode
  // silently fell back to flows everywhere).
  CHECK(used_classes > 20);
  CHECK(refined > 10);
}
