// Sealed all-to-all rounds (net/network.hpp): a symmetric round on an idle network is timed
// class by class and holds no flow entries; a start before its last drain opens it, and every
// delivery is then the flow-by-flow network's. Each case runs the same traffic with sealing on
// and off and compares every end, to kCompletionSlack (2 ps: class and flow rates differ only
// in the last bits of their sums).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <memory>
#include <numeric>
#include <optional>
#include <vector>

#include "comm/flow_comm.hpp"
#include "config/catalog.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "net/network.hpp"
#include "topology/build.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
// n endpoints on one switch, 100 GB/s a link, 1 us a link.
topology::Topology sealed_crossbar(std::int64_t n) {
  config::NvSwitchSpec s{n, config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)}};
  return topology::build_topology(config::TopologySpec{s}, "crossbar");
}

// 4 nodes of 2 GPUs, NVLink 450 GB/s inside a node, 50 GB/s NICs, rail-optimized leaves: an
// all-to-all's intra-node flows drain long before its inter-node ones (two drain events).
topology::Topology sealed_fat_tree() {
  config::FatTreeSpec f;
  f.nodes = 4;
  f.endpoints_per_node = 2;
  f.intra_node = config::LinkSpec{BytesPerSecond(450e9), Picoseconds(500'000)};
  f.nic = config::LinkSpec{BytesPerSecond(50e9), Picoseconds(1'000'000)};
  f.nodes_per_leaf = 2;
  f.switch_latency = Picoseconds(1'000'000);
  f.rail_optimized = true;
  return topology::build_topology(config::TopologySpec{f}, "fat-tree");
}

net::AllPairs every_pair(std::int32_t first, std::int32_t count, Bytes bytes) {
  net::AllPairs p;
  p.ranks.resize(static_cast<std::size_t>(count));
  std::iota(p.ranks.begin(), p.ranks.end(), first);
  p.bytes = bytes;
  return p;
}

net::NetworkOptions sealing(bool on) {
  net::NetworkOptions o;
  o.seal_symmetric_rounds = on;
  return o;
}

bool within_slack(Picoseconds a, Picoseconds b) {
  return std::abs(a.count() - b.count()) <= net::Network::kCompletionSlack.count();
}
}  // namespace

TEST_CASE("an all-to-all alone on an idle network is sealed and ends at the hand-computed time") {
  // Crossbar of 4, 100 MB a pair: each uplink carries 3 flows (100/3 GB/s each), so every
  // flow drains at 3 x 100 MB / 100 GB/s = 3 ms and is delivered 2 us (two links) later.
  const auto t = sealed_crossbar(4);
  for (const bool seal : {true, false}) {
    INFO("sealed " << seal);
    engine::EventQueue q;
    net::Network network(t, q, sealing(seal));
    Picoseconds end{0};
    network.transfer(every_pair(0, 4, Bytes(100'000'000)), [&] { end = q.now(); });
    CHECK(network.sealed_rounds() == (seal ? 1u : 0u));
    CHECK(network.active_flows() == (seal ? 0u : 12u));
    q.run();
    CHECK(std::abs(end.count() - (3'000'000'000 + 2'000'000)) <= 2);
    CHECK(network.opened_rounds() == 0);
  }
}

TEST_CASE("a transfer started while a sealed all-to-all sends opens it, and every end is the flow-by-flow one") {
  // The all-to-all over the 8 GPUs of the fat tree, and one flow 0 -> 2 (a NIC the
  // all-to-all uses) started at a fraction of the all-to-all's time alone: before its first
  // drain, between its drains, after its last drain (nothing to open: the flows are gone)
  // and after its end.
  const auto t = sealed_fat_tree();
  const Bytes pair_bytes(8'000'000);
  const auto run = [&](bool seal, std::optional<Picoseconds> extra_at) {
    engine::EventQueue q;
    auto network = std::make_unique<net::Network>(t, q, sealing(seal));
    std::vector<Picoseconds> ends(2, Picoseconds(-1));
    network->transfer(every_pair(0, 8, pair_bytes), [&] { ends[0] = q.now(); });
    if (extra_at)
      q.schedule(*extra_at, 0, [&] {
        network->transfer(std::vector<net::Flow>{net::Flow{0, 2, Bytes(4'000'000)}}, [&] { ends[1] = q.now(); });
      });
    q.run();
    const auto counts = std::make_pair(network->sealed_rounds(), network->opened_rounds());
    return std::make_pair(ends, counts);
  };
  const auto alone = run(false, std::nullopt).first[0];
  // Intra-node flows: 8 MB at 450 GB/s drain at about 18 us; the NIC flows (6 a NIC, 50 GB/s)
  // at about 960 us; delivered a few us later.
  REQUIRE(alone.count() > 900'000'000);
  for (const double fraction : {0.005, 0.3, 0.9, 0.9995, 1.5}) {
    INFO("extra flow at " << fraction << " of the all-to-all");
    const Picoseconds at(static_cast<std::int64_t>(fraction * static_cast<double>(alone.count())));
    const auto [sealed_ends, counts] = run(true, at);
    const auto [plain_ends, plain_counts] = run(false, at);
    CHECK(counts.first == 1);
    CHECK(plain_counts.first == 0);
    // Opened only when the extra flow starts while the all-to-all still sends.
    CHECK(counts.second == (fraction < 0.99 ? 1u : 0u));
    for (std::size_t i = 0; i < 2; ++i) {
      INFO("end " << i << ": sealed " << sealed_ends[i].count() << " ps, flow by flow " << plain_ends[i].count() << " ps");
      CHECK(within_slack(sealed_ends[i], plain_ends[i]));
    }
    // Sharing a NIC slows the all-to-all only when the flow starts while it still sends.
    if (fraction < 0.99)
      CHECK(sealed_ends[0] > alone);
    else
      CHECK(within_slack(sealed_ends[0], alone));
  }
}

TEST_CASE("all-to-alls started together seal together only when every flow ends at one instant") {
  // The fat tree's symmetries shift the GPU in a node, the node in a leaf and the leaf group.
  // One all-to-all a node ({0,1}, {2,3}, {4,5}, {6,7}): every generator maps the union onto
  // itself and every flow is one NVLink flow alone on its links, so all are delivered at
  // one instant: one sealed round, at the hand-computed time. One all-to-all a leaf group
  // ({0..3}, {4..7}): the union is symmetric too, but its intra-node flows drain long before
  // its NIC flows, and rounds sealed together would end together: flow by flow. Node groups
  // with an explicit flow in the same block: flow by flow. Every end equals the flow-by-flow
  // network's.
  const auto t = sealed_fat_tree();
  const Bytes pair(9'000'000);
  struct Block {
    const char* name;
    std::int32_t group;
    bool with_flow;
    std::uint64_t sealed;
  };
  for (const Block block : {Block{"a node each", 2, false, 1}, Block{"a leaf group each", 4, false, 0},
                            Block{"a node each and a flow", 2, true, 0}}) {
    INFO(block.name);
    std::vector<std::vector<Picoseconds>> ends;
    std::vector<std::uint64_t> sealed;
    for (const bool seal : {true, false}) {
      engine::EventQueue q;
      auto options = sealing(seal);
      options.coalesce_starts = true;
      net::Network network(t, q, options);
      std::vector<Picoseconds> e(9, Picoseconds(-1));
      network.run_coalesced([&] {
        for (std::int32_t first = 0; first < 8; first += block.group)
          network.transfer(every_pair(first, block.group, pair), [&e, &q, first] { e[static_cast<std::size_t>(first)] = q.now(); });
        if (block.with_flow) network.transfer(std::vector<net::Flow>{net::Flow{0, 2, pair}}, [&] { e[8] = q.now(); });
      });
      q.run();
      ends.push_back(e);
      sealed.push_back(network.sealed_rounds());
    }
    CHECK(sealed[0] == block.sealed);
    CHECK(sealed[1] == 0u);
    for (std::size_t i = 0; i < ends[0].size(); ++i) {
      INFO("end " << i << ": sealed " << ends[0][i].count() << " ps, flow by flow " << ends[1][i].count() << " ps");
      CHECK(within_slack(ends[0][i], ends[1][i]));
    }
    if (block.group == 2 && !block.with_flow) {
      // 9 MB at 450 GB/s: 20 us to drain, then two 0.5 us NVLink hops (GPU -> node switch -> GPU).
      for (std::int32_t first = 0; first < 8; first += 2)
        CHECK(std::abs(ends[0][static_cast<std::size_t>(first)].count() - (20'000'000 + 1'000'000)) <= 2);
    }
  }
}

TEST_CASE("a co-simulated step with sealed all-to-alls takes the flow-by-flow step's time") {
  // Switch-Base-8 on one DGX H100 with the gradient all-reduce overlapping the backward pass:
  // all-to-alls start on an idle network (sealed) and beside all-reduce rounds (flow by flow),
  // and some all-reduce rounds start while a sealed all-to-all sends (opened).
  model::Scenario s;
  s.model = "switch-base-8";
  s.cluster = "dgx-h100-8";
  s.batch_tokens = 1 << 16;
  s.overlap = true;
  s.allreduce_algorithm = "ring";
  const auto inputs = model::make_inputs(s, switchsim::test::catalog());
  comm::FlowComm sealed(inputs.cluster, {}, net::ConcurrentOptions{true, true});
  comm::FlowComm plain(inputs.cluster, {}, net::ConcurrentOptions{true, false});
  const auto a = model::simulate_step(inputs, sealed).step_time;
  const auto b = model::simulate_step(inputs, plain).step_time;
  CHECK(a.seconds() == Approx(b.seconds()).epsilon(1e-9));
  CHECK(sealed.co_simulated_steps() == 1);
  CHECK(sealed.sealed_rounds() > 0);
  CHECK(sealed.opened_rounds() > 0);
  CHECK(sealed.opened_rounds() < sealed.sealed_rounds());
  CHECK(plain.sealed_rounds() == 0);
}
