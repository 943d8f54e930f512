// NetworkOptions::keep_rates_on_departure: a drain after which every remaining flow still has
// the bottleneck its last solve gave it keeps the rates without a solve (net/network.hpp says
// why that is the max-min allocation).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "engine/event_queue.hpp"
#include "net/collective.hpp"
#include "net/network.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"

using namespace switchsim;

namespace {
struct Run {
  std::vector<std::int64_t> ends;  // per transfer, its delivery in ps
  std::uint64_t solves = 0;
  std::uint64_t kept = 0;
};

// Transfers of one flow each, started together at 0.
Run run(const topology::Topology& t, const std::vector<net::Flow>& flows, bool keep) {
  engine::EventQueue q;
  net::NetworkOptions options;
  options.keep_rates_on_departure = keep;
  net::Network network(t, q, options);
  Run r;
  r.ends.assign(flows.size(), -1);
  for (std::size_t k = 0; k < flows.size(); ++k)
    network.transfer({flows[k]}, [&, k] { r.ends[k] = q.now().count(); });
  q.run();
  r.solves = network.solves();
  r.kept = network.kept_rates();
  return r;
}
}  // namespace

TEST_CASE("a drain that leaves every remaining flow its bottleneck keeps the rates, one that does not re-solves") {
  // 4 endpoints on one switch, 120 GB/s and 1 us a link (a path: 2 us). A 0->2 (8 MB),
  // B 1->2 (8 MB), C 0->3 (14 MB), D 0->1 (20 MB). Endpoint 0's uplink carries A, C, D:
  // share 40 GB/s, the least, so it fixes them at 40; then 2's downlink has 120 - 40 left
  // for B: 80 GB/s (1's uplink would give it 120).
  // - B drains at 8 MB / 80 GB/s = 100 us. Its links (1 up, 2 down) fixed no remaining
  //   flow: A, C, D keep 40 without a solve (and 0's uplink is still full with them).
  // - A drains at 8 MB / 40 GB/s = 200 us; 0's uplink fixed C and D: re-solved, 60 each.
  // - C: 14 - 8 = 6 MB left at 60 GB/s: 100 us more, 300 us.
  // - D: 20 - 8 - 6 = 6 MB left alone at 120 GB/s: 50 us more, 350 us.
  // Each delivery 2 us after its last byte. Had the 200 us drain kept the rates too, C would
  // end at 350 us and D at 500 us.
  config::NvSwitchSpec s{4, config::LinkSpec{BytesPerSecond(120e9), Picoseconds(1'000'000)}};
  const auto t = topology::build_topology(config::TopologySpec{s}, "crossbar");
  const std::vector<net::Flow> flows{{0, 2, Bytes(8'000'000)}, {1, 2, Bytes(8'000'000)}, {0, 3, Bytes(14'000'000)},
                                     {0, 1, Bytes(20'000'000)}};
  const std::vector<std::int64_t> expected{202'000'000, 102'000'000, 302'000'000, 352'000'000};
  const auto kept = run(t, flows, true);
  const auto solved = run(t, flows, false);
  for (std::size_t k = 0; k < flows.size(); ++k) {
    CHECK(std::abs(kept.ends[k] - expected[k]) <= 2);  // drains rounded up to the picosecond
    CHECK(std::abs(solved.ends[k] - expected[k]) <= 2);
  }
  CHECK(kept.kept == 1);
  CHECK(solved.kept == 0);
  CHECK(solved.solves == kept.solves + 1);
}

TEST_CASE("kept rates give the delivery times of re-solving on every drain, on random traffic and on a skewed all-to-all") {
  // Both are the max-min allocation; they may differ in the last bits of the sums, so a drain
  // rounded up to the picosecond may move by one, a few over a run's events.
  const auto t = test::eight_gpu_fat_tree();
  std::mt19937 rng(23);
  std::vector<net::Flow> flows;
  for (int k = 0; k < 60; ++k)
    flows.push_back(net::Flow{std::uniform_int_distribution<std::int32_t>(0, 7)(rng),
                              std::uniform_int_distribution<std::int32_t>(0, 7)(rng),
                              Bytes(std::uniform_int_distribution<std::int64_t>(1, 40)(rng) * 1'000'000)});
  const auto kept = run(t, flows, true);
  const auto solved = run(t, flows, false);
  REQUIRE(kept.ends.size() == solved.ends.size());
  for (std::size_t k = 0; k < flows.size(); ++k) CHECK(std::abs(kept.ends[k] - solved.ends[k]) <= 10);
  CHECK(kept.kept > 0);
  CHECK(kept.solves < solved.solves);

  // A skewed all-to-all (every sender the same row, 1..8 MB by destination): each
  // destination's downlink fixes the flows to it, so once a column drains the others keep
  // their rates.
  std::vector<net::Flow> skewed;
  for (std::int32_t i = 0; i < 8; ++i)
    for (std::int32_t j = 0; j < 8; ++j)
      if (i != j) skewed.push_back(net::Flow{i, j, Bytes((j + 1) * 1'000'000)});
  const auto kept_skewed = run(t, skewed, true);
  const auto solved_skewed = run(t, skewed, false);
  for (std::size_t k = 0; k < skewed.size(); ++k) CHECK(std::abs(kept_skewed.ends[k] - solved_skewed.ends[k]) <= 10);
  CHECK(kept_skewed.kept > 0);
}

TEST_CASE("a zipf-skewed all-to-all on 64 GPUs drains column by column off the finish heap, at the times of re-solving") {
  // 8 nodes of 8 GPUs, 4 nodes a leaf; every sender the same row, destination j getting
  // 64 MB / (j + 1)^1.2: 4,032 flows whose columns drain one after another, most drains keeping
  // the rates, so the heap of finish times, its stale items, the lazy purge of the per-link
  // lists and the compaction of the entries all run; each delivery must stay where solving
  // after every drain puts it.
  const auto t = test::fat_tree(8, 8, 4, BytesPerSecond(50e9));
  std::vector<net::Flow> flows;
  for (std::int32_t i = 0; i < 64; ++i)
    for (std::int32_t j = 0; j < 64; ++j)
      if (i != j) flows.push_back(net::Flow{i, j, Bytes(static_cast<std::int64_t>(64e6 / std::pow(j + 1.0, 1.2)))});
  const auto kept = run(t, flows, true);
  const auto solved = run(t, flows, false);
  std::int64_t worst = 0;
  for (std::size_t k = 0; k < flows.size(); ++k) worst = std::max(worst, std::abs(kept.ends[k] - solved.ends[k]));
  CHECK(worst <= 10);
  // Each transfer's start solves (4,032); of the drains, a hundred or more keep the rates where
  // the reference solves, and every solve saved is a drain that kept them.
  CHECK(solved.solves - kept.solves >= 100);
  CHECK(kept.kept >= solved.solves - kept.solves);
  CHECK(*std::min_element(kept.ends.begin(), kept.ends.end()) > 0);
}

TEST_CASE("solved_entries counts the entries solves set, rate_changes only the rates they moved") {
  // 4 endpoints on one switch, 100 GB/s a link. At 0: X 0->1 (1 MB) and Y 0->2 (2 MB) in one
  // transfer: one solve, both fixed by 0's uplink at 50 GB/s (2 entries, 2 first rates). Then
  // W 3->2 (2 MB): it shares 2's downlink with Y, which shares 0's uplink with X, so all three
  // are solved: 0's uplink and 2's downlink both offer 50, so everyone keeps or gets 50 (3
  // entries, 1 change: W's first rate).
  // X drains at 20 us. If the tie went to 0's uplink, Y was fixed there with X: re-solved with
  // W (2 entries), and 2's downlink still gives both 50: no change. If it went to 2's downlink
  // (Y and W fixed there, X at 0's uplink), nothing left was fixed by X's links: kept, no solve.
  // Y and W end together at 40 us. Either way 3 rate changes; 7 or 5 entries solved.
  const auto t = test::crossbar(4);
  engine::EventQueue q;
  net::Network network(t, q);
  int done = 0;
  network.transfer({net::Flow{0, 1, Bytes(1'000'000)}, net::Flow{0, 2, Bytes(2'000'000)}}, [&] { ++done; });
  network.transfer({net::Flow{3, 2, Bytes(2'000'000)}}, [&] { ++done; });
  q.run();
  REQUIRE(done == 2);
  CHECK(network.rate_changes() == 3);
  if (network.kept_rates() == 1) {
    CHECK(network.solves() == 2);
    CHECK(network.solved_entries() == 5);
  } else {
    CHECK(network.solves() == 3);
    CHECK(network.solved_entries() == 7);
  }
  CHECK(q.now() == Picoseconds(40'000'000 + 2'000'000));  // the last delivery: 40 us + 2 us of latency
}
