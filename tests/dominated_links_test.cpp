// Dominated links (Topology::dominated): switch-to-switch links of a tree at least as fast as
// the endpoint links feeding them never limit a rate, so the flow network leaves them out of
// its max-min system and follows their loads for peak_utilization alone.

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

#include "net/network.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"

using namespace switchsim;

namespace {
topology::Topology tree(bool rail, double oversubscription) {
  auto spec = switchsim::test::fat_tree_spec(4, 2, 2, BytesPerSecond(50e9), rail);
  spec.oversubscription = oversubscription;
  return topology::build_topology(config::TopologySpec{spec}, "tree");
}

std::string class_of(const topology::Topology& t, std::size_t link) {
  return t.link_classes()[static_cast<std::size_t>(t.links()[link].link_class)];
}
}  // namespace

TEST_CASE("a non-blocking tree's switch-to-switch links are dominated, an oversubscribed tree's and a torus's are not") {
  for (const bool rail : {false, true}) {
    INFO("rail-optimized " << rail);
    // 2 nodes of 2 GPUs a leaf (a leaf per rail when rail-optimized): the leaf's up link is
    // built at the NICs below it x 50 GB/s, which is what feeds it.
    const auto t = tree(rail, 1.0);
    std::size_t spine = 0;
    for (std::size_t l = 0; l < t.links().size(); ++l) {
      INFO(t.link_name(static_cast<std::int32_t>(l)));
      const bool switch_to_switch = class_of(t, l) == "leaf-spine";
      spine += switch_to_switch ? 1 : 0;
      CHECK(t.dominated(static_cast<std::int32_t>(l)) == switch_to_switch);
    }
    CHECK(spine > 0);
    // Twice oversubscribed: the up link carries half what its NICs can send.
    const auto thin = tree(rail, 2.0);
    for (std::size_t l = 0; l < thin.links().size(); ++l) CHECK_FALSE(thin.dominated(static_cast<std::int32_t>(l)));
  }
  config::TorusSpec torus;
  torus.dims = {4, 4};
  torus.link = config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)};
  const auto t = topology::build_topology(config::TopologySpec{torus}, "torus");
  for (std::size_t l = 0; l < t.links().size(); ++l) CHECK_FALSE(t.dominated(static_cast<std::int32_t>(l)));
}

TEST_CASE("a path's binding and dominated links split its links") {
  const auto t = tree(false, 1.0);
  // GPU 0 (node 0, leaf 0) to GPU 7 (node 3, leaf 1): NIC up, leaf up, spine down, NIC down.
  const auto route = t.route(0, 7);
  REQUIRE(route.path_count == 1);
  const auto& p = t.path(route.first_path);
  std::vector<std::int32_t> all(t.links_of(p).begin(), t.links_of(p).end());
  std::vector<std::int32_t> split(t.binding_links_of(p).begin(), t.binding_links_of(p).end());
  CHECK(split.size() == 2);
  for (const auto l : t.dominated_links_of(p)) split.push_back(l);
  CHECK(t.dominated_links_of(p).size() == 2);
  std::sort(all.begin(), all.end());
  std::sort(split.begin(), split.end());
  CHECK(all == split);
}

TEST_CASE("flow by flow, a dominated link's peak utilization is its load over its bandwidth, by hand") {
  // All-to-all of 1 MB a pair over the 8 GPUs (no sealing, no classes: flows). Each NIC
  // carries 6 flows (to and from the other node of its leaf and the 4 GPUs of the other
  // leaf), so each gets 50/6 GB/s while the NVLink flows are faster. A leaf's up link carries
  // 4 GPUs x 4 flows to the other leaf = 16 x 50/6 GB/s against 4 x 50 GB/s: 2/3.
  const auto t = tree(false, 1.0);
  engine::EventQueue q;
  net::NetworkOptions options;
  options.seal_symmetric_rounds = false;
  net::Network network(t, q, options);
  net::AllPairs pairs;
  pairs.ranks.resize(8);
  std::iota(pairs.ranks.begin(), pairs.ranks.end(), 0);
  pairs.bytes = Bytes(1'000'000);
  bool done = false;
  network.transfer(pairs, [&] { done = true; });
  q.run();
  CHECK(done);
  for (std::size_t l = 0; l < t.links().size(); ++l) {
    INFO(t.link_name(static_cast<std::int32_t>(l)));
    if (class_of(t, l) == "leaf-spine") CHECK(network.peak_utilization()[l] == Approx(2.0 / 3.0).epsilon(1e-12));
    if (class_of(t, l) == "nic") CHECK(network.peak_utilization()[l] == Approx(1.0).epsilon(1e-12));
  }
}
