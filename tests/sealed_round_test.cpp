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
#include "net/symmetry.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
using switchsim::test::within_slack;

// test::eight_gpu_fat_tree, rail-optimized: an all-to-all's intra-node flows drain long before
// its inter-node ones (two drain events).
topology::Topology sealed_fat_tree() { return switchsim::test::eight_gpu_fat_tree(true); }

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
}  // namespace

TEST_CASE("an all-to-all alone on an idle network is sealed and ends at the hand-computed time") {
  // Crossbar of 4, 100 MB a pair: each uplink carries 3 flows (100/3 GB/s each), so every
  // flow drains at 3 x 100 MB / 100 GB/s = 3 ms and is delivered 2 us (two links) later.
  const auto t = switchsim::test::crossbar(4);
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

namespace {
// Groups of consecutive ranks, each running to the next first rank (the last to 8).
std::vector<net::AllPairs> consecutive_groups(const std::vector<std::int32_t>& firsts, Bytes bytes) {
  std::vector<net::AllPairs> groups;
  for (std::size_t g = 0; g < firsts.size(); ++g) {
    const std::int32_t end = g + 1 < firsts.size() ? firsts[g + 1] : 8;
    groups.push_back(every_pair(firsts[g], end - firsts[g], bytes));
  }
  return groups;
}

struct BlockEnds {
  std::vector<Picoseconds> ends;  // each group's, then the extra flow's
  std::uint64_t sealed = 0;
  std::uint64_t opened = 0;
};

// The groups' all-to-alls started in one coalesced block on the 8-GPU fat tree (with an extra
// flow 0 -> 2 in the block, or started alone at `extra_at`).
BlockEnds run_block(const std::vector<net::AllPairs>& groups, bool seal, bool flow_in_block,
                    std::optional<Picoseconds> extra_at = std::nullopt) {
  const auto t = sealed_fat_tree();
  engine::EventQueue q;
  auto options = sealing(seal);
  options.coalesce_starts = true;
  auto network = std::make_unique<net::Network>(t, q, options);
  BlockEnds out;
  out.ends.assign(groups.size() + 1, Picoseconds(-1));
  const auto extra = [&] {
    network->transfer(std::vector<net::Flow>{net::Flow{0, 2, Bytes(4'000'000)}}, [&] { out.ends.back() = q.now(); });
  };
  network->run_coalesced([&] {
    for (std::size_t g = 0; g < groups.size(); ++g) network->transfer(groups[g], [&out, &q, g] { out.ends[g] = q.now(); });
    if (flow_in_block) extra();
  });
  if (extra_at) q.schedule(*extra_at, 0, extra);
  q.run();
  out.sealed = network->sealed_rounds();
  out.opened = network->opened_rounds();
  return out;
}
}  // namespace

TEST_CASE("all-to-alls started together on disjoint groups seal together, each ending at its flow-by-flow time") {
  // The fat tree's symmetries shift the GPU in a node, the node in a leaf and the leaf group.
  // - One all-to-all a node ({0,1}, {2,3}, {4,5}, {6,7}): every flow is one NVLink flow alone
  //   on its links: all end at the hand-computed time.
  // - One a leaf group ({0..3}, {4..7}): the leaf-group shift maps one onto the other, so
  //   both end at one instant.
  // - {0..3}, {4,5}, {6,7}: symmetric (the GPU and node shifts keep it; the leaf-group shift
  //   does not): the node groups end long before the 4-GPU group, whose NIC flows are slower.
  // - Node groups with an explicit flow in the same block: flow by flow.
  // Every end equals the flow-by-flow network's.
  const Bytes pair(9'000'000);
  struct Block {
    const char* name;
    std::vector<std::int32_t> firsts;
    bool with_flow;
    std::uint64_t sealed;
  };
  for (const Block& block : {Block{"a node each", {0, 2, 4, 6}, false, 1}, Block{"a leaf group each", {0, 4}, false, 1},
                             Block{"a leaf group and two nodes", {0, 4, 6}, false, 1},
                             Block{"a node each and a flow", {0, 2, 4, 6}, true, 0}}) {
    INFO(block.name);
    const auto groups = consecutive_groups(block.firsts, pair);
    const auto sealed = run_block(groups, true, block.with_flow);
    const auto plain = run_block(groups, false, block.with_flow);
    CHECK(sealed.sealed == block.sealed);
    CHECK(plain.sealed == 0u);
    for (std::size_t i = 0; i < sealed.ends.size(); ++i) {
      INFO("end " << i << ": sealed " << sealed.ends[i].count() << " ps, flow by flow " << plain.ends[i].count() << " ps");
      CHECK(within_slack(sealed.ends[i], plain.ends[i]));
    }
    if (block.firsts.size() == 4 && !block.with_flow) {
      // 9 MB at 450 GB/s: 20 us to drain, then two 0.5 us NVLink hops (GPU -> node switch -> GPU).
      for (std::size_t g = 0; g < 4; ++g) CHECK(std::abs(sealed.ends[g].count() - (20'000'000 + 1'000'000)) <= 2);
    }
    if (block.firsts.size() == 2) CHECK(sealed.ends[0] == sealed.ends[1]);  // images of each other
    if (block.firsts.size() == 3) {
      CHECK(sealed.ends[1] == sealed.ends[2]);
      CHECK(sealed.ends[1].count() * 5 < sealed.ends[0].count());  // the node groups end first
    }
  }
  // Groups sharing a rank are not sealed together.
  const std::vector<net::AllPairs> overlapping{every_pair(0, 4, pair), every_pair(2, 4, pair)};
  const auto sealed = run_block(overlapping, true, false);
  const auto plain = run_block(overlapping, false, false);
  CHECK(sealed.sealed == 0u);
  for (std::size_t i = 0; i < 2; ++i) CHECK(within_slack(sealed.ends[i], plain.ends[i]));
  // One-rank groups send nothing and end at once; beside them node groups {0,1}, {2,3} whose
  // union is symmetric (GPU and node shifts) with every flow delivered at one instant.
  const std::vector<net::AllPairs> with_single{every_pair(0, 2, pair), every_pair(2, 2, pair), every_pair(4, 1, pair),
                                               every_pair(5, 1, pair)};
  const auto sealed_single = run_block(with_single, true, false);
  const auto plain_single = run_block(with_single, false, false);
  CHECK(plain_single.ends[2] == Picoseconds(0));
  for (std::size_t i = 0; i < with_single.size(); ++i) {
    INFO("end " << i << ": sealed " << sealed_single.ends[i].count() << " ps, flow by flow " << plain_single.ends[i].count() << " ps");
    CHECK(within_slack(sealed_single.ends[i], plain_single.ends[i]));
  }
}

TEST_CASE("a start after some of the sealed all-to-alls ended opens the rest, and every end is the flow-by-flow one") {
  // {0..3}, {4,5}, {6,7}: the node groups end at about 21 us, the 4-GPU group hundreds of us
  // later. A flow 0 -> 2 (on the 4-GPU group's NIC) starts before the node groups end, after
  // they end while the 4-GPU group sends, and after everything: the round is opened in the
  // first two (the ended groups' flows entered for the links they shared, not called again).
  const auto groups = consecutive_groups({0, 4, 6}, Bytes(9'000'000));
  const auto alone = run_block(groups, false, false);
  REQUIRE(alone.ends[1].count() * 5 < alone.ends[0].count());
  const std::int64_t node_end = alone.ends[1].count(), group_end = alone.ends[0].count();
  for (const std::int64_t at : {node_end / 3, (node_end + group_end) / 2, group_end + 1'000'000}) {
    INFO("extra flow at " << at << " ps");
    const auto sealed = run_block(groups, true, false, Picoseconds(at));
    const auto plain = run_block(groups, false, false, Picoseconds(at));
    CHECK(sealed.sealed == 1u);
    CHECK(sealed.opened == (at < group_end ? 1u : 0u));
    for (std::size_t i = 0; i < sealed.ends.size(); ++i) {
      INFO("end " << i << ": sealed " << sealed.ends[i].count() << " ps, flow by flow " << plain.ends[i].count() << " ps");
      CHECK(within_slack(sealed.ends[i], plain.ends[i]));
    }
    // The extra flow shares the 4-GPU group's NIC only while that group sends.
    if (at < group_end) CHECK(sealed.ends[0] > alone.ends[0]);
    else CHECK(within_slack(sealed.ends[0], alone.ends[0]));
  }
}

TEST_CASE("a co-simulated step with sealed all-to-alls takes the flow-by-flow step's time") {
  // Switch-Base-8 on one DGX H100 with the gradient all-reduce overlapping the backward pass:
  // all-to-alls start on an idle network (sealed) and beside all-reduce rounds (flow by flow),
  // and some all-reduce rounds start while a sealed all-to-all sends (opened).
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
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
  // The ring all-reduce's rounds are kept by the NVSwitch's rotation, as the all-to-alls are:
  // the openings enter flow classes (class mode), which only the shortcuts allow.
  CHECK(sealed.class_openings() == sealed.opened_rounds());
  CHECK(plain.class_openings() == 0);
}

TEST_CASE("a co-simulated step on a rail-optimized fat tree takes the same time with flow classes as with flows") {
  // Switch-Base-8 over 8 GPUs of the rail fat tree (4 nodes of 2): hierarchical all-reduce
  // rounds (intra-node, kept by every symmetry; inter-node rail rings, kept by a subgroup)
  // overlap the all-to-alls, so the step opens rounds into classes and refines them.
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  s.overlap = true;
  s.allreduce_algorithm = "hierarchical";
  auto inputs = model::make_inputs(s, switchsim::test::catalog());
  inputs.cluster.topology = switchsim::test::fat_tree_spec(4, 2, 2, BytesPerSecond(50e9), true);  // sealed_fat_tree()
  comm::FlowComm with_classes(inputs.cluster, {}, net::ConcurrentOptions{true, true});
  comm::FlowComm flows(inputs.cluster, {}, net::ConcurrentOptions{true, false});
  const auto a = model::simulate_step(inputs, with_classes).step_time;
  const auto b = model::simulate_step(inputs, flows).step_time;
  CHECK(a.seconds() == Approx(b.seconds()).epsilon(1e-9));
  CHECK(with_classes.class_openings() > 0);
  CHECK(flows.class_openings() == 0);
}
