// Topology builders, routing and validation (src/topology/).

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/catalog.hpp"
#include "config/error.hpp"
#include "topology/build.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
using switchsim::test::catalog;

// Node names along the single path of route(src, dst): "a>b>c".
std::string path_names(const topology::Topology& t, std::int32_t src, std::int32_t dst, std::size_t which = 0) {
  const auto route = t.route(src, dst);
  REQUIRE(static_cast<std::size_t>(route.path_count) > which);
  const auto& p = t.path(route.first_path + static_cast<std::int64_t>(which));
  std::string out;
  for (const auto l : t.links_of(p)) {
    const auto& link = t.links()[static_cast<std::size_t>(l)];
    if (out.empty()) out = t.nodes()[static_cast<std::size_t>(link.from)].name;
    out += ">" + t.nodes()[static_cast<std::size_t>(link.to)].name;
  }
  return out;
}

config::EdgeListSpec diamond() {
  // a -> {b, c} -> d, every link 10 GB/s and 1 us.
  config::EdgeListSpec s;
  for (const char* n : {"a", "b", "c", "d"}) s.nodes.push_back({n, true, true});  // every endpoint relays
  const config::LinkSpec link{BytesPerSecond::gigabytes(10), 1_us};
  s.edges = {{"a", "b", link, true}, {"a", "c", link, true}, {"b", "d", link, true}, {"c", "d", link, true}};
  return s;
}
}  // namespace

TEST_CASE("a DGX H100 is eight GPUs on one NVSwitch with 450 GB/s injection each") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  CHECK(t.endpoint_count() == 8);
  CHECK(t.nodes().size() == 9);
  CHECK(t.links().size() == 16);
  CHECK(t.injection_bandwidth(3).value() == Approx(450e9));
  CHECK(path_names(t, 0, 5) == "gpu0>nvswitch>gpu5");
  CHECK(t.path(t.route(0, 5).first_path).latency == 1_us);
  CHECK(t.route(4, 4).path_count == 0);
}

TEST_CASE("the rail-optimized fat-tree keeps intra-node traffic on NVSwitch and same-rail traffic under one leaf") {
  const auto t = topology::build_topology(catalog().cluster("h100-fat-tree-1024"));
  CHECK(t.endpoint_count() == 1024);
  CHECK(t.endpoints_per_node() == 8);
  CHECK(path_names(t, 0, 1) == "n0.gpu0>n0.nvswitch>n0.gpu1");
  CHECK(path_names(t, 0, 8) == "n0.gpu0>leaf.rail0.0>n1.gpu0");        // GPU 0 of node 1: same rail, same leaf
  CHECK(path_names(t, 0, 9) == "n0.gpu0>leaf.rail0.0>spine>leaf.rail1.0>n1.gpu1");  // other rail: via the spine
  CHECK(path_names(t, 0, 32 * 8) == "n0.gpu0>leaf.rail0.0>spine>leaf.rail0.1>n32.gpu0");
  // A leaf has 32 NICs of 50 GB/s below it; non-blocking, so 1.6 TB/s up.
  for (const auto& link : t.links())
    if (t.link_classes()[static_cast<std::size_t>(link.link_class)] == "leaf-spine")
      CHECK(link.bandwidth.value() == Approx(32 * 50e9));
}

TEST_CASE("a 2:1 oversubscribed leaf has half its downlink bandwidth going up") {
  config::FatTreeSpec s;
  s.nodes = 8;
  s.endpoints_per_node = 1;
  s.nic = {BytesPerSecond::gigabytes(10), 1_us};
  s.nodes_per_leaf = 4;
  s.oversubscription = 2.0;
  const auto t = topology::build_topology(config::TopologySpec{s}, "test");
  int uplinks = 0;
  for (const auto& link : t.links())
    if (t.link_classes()[static_cast<std::size_t>(link.link_class)] == "leaf-spine") {
      CHECK(link.bandwidth.value() == Approx(4 * 10e9 / 2));
      ++uplinks;
    }
  CHECK(uplinks == 4);  // two leaves, up and down
  CHECK(path_names(t, 0, 5) == "n0.gpu0>leaf0>spine>leaf1>n5.gpu0");
}

TEST_CASE("dimension-order routing on a 4x4 torus goes along x first, then y, the short way round") {
  config::TorusSpec s;
  s.dims = {4, 4};
  s.link = {BytesPerSecond::gigabits(656), 1_us};
  const auto t = topology::build_topology(config::TopologySpec{s}, "test");
  // chip index = x + 4y. (0,0) -> (1,3): x +1, then y the short way: 0 -> 3 is one step back.
  CHECK(path_names(t, 0, 1 + 4 * 3) == "chip0.core0>chip0>chip1>chip13>chip13.core0");
  // Half way round (distance 2) an even coordinate goes +, an odd one goes -.
  CHECK(path_names(t, 0, 2) == "chip0.core0>chip0>chip1>chip2>chip2.core0");
  CHECK(path_names(t, 1, 3) == "chip1.core0>chip1>chip0>chip3>chip3.core0");
  // (3,1) -> (1,2): x from 3 to 1 is distance 2, 3 is odd: 3 -> 2 -> 1; then y +1.
  CHECK(path_names(t, 3 + 4, 1 + 8) == "chip7.core0>chip7>chip6>chip5>chip9>chip9.core0");
  CHECK(t.path(t.route(3 + 4, 1 + 8).first_path).latency == 3_us);  // core links have no latency by default
}

TEST_CASE("the TPU v3 slice has 32 cores, two per chip") {
  const auto t = topology::build_topology(catalog().cluster("tpu-v3-32"));
  CHECK(t.endpoint_count() == 32);
  CHECK(t.endpoints_per_node() == 2);
  CHECK(path_names(t, 0, 1) == "chip0.core0>chip0>chip0.core1");
}

TEST_CASE("shortest-path routing picks the first-added equal path and ECMP splits a flow evenly over both") {
  const auto plain = topology::build_topology(config::TopologySpec{diamond()}, "test");
  CHECK(plain.route(0, 3).path_count == 1);
  CHECK(path_names(plain, 0, 3) == "a>b>d");
  const auto ecmp = topology::build_topology(config::TopologySpec{diamond()}, "test", topology::RoutingOptions{true});
  const auto r = ecmp.route(0, 3);
  REQUIRE(r.path_count == 2);
  CHECK(path_names(ecmp, 0, 3, 0) == "a>b>d");
  CHECK(path_names(ecmp, 0, 3, 1) == "a>c>d");
  CHECK(ecmp.path(r.first_path).fraction == 0.5);
  CHECK(ecmp.path(r.first_path + 1).fraction == 0.5);
}

TEST_CASE("shortest paths prefer fewer hops, then lower latency") {
  config::EdgeListSpec s;
  for (const char* n : {"a", "b", "c", "d"}) s.nodes.push_back({n, true, true});  // every endpoint relays
  s.edges = {{"a", "b", {BytesPerSecond::gigabytes(1), 5_us}, true},
             {"b", "d", {BytesPerSecond::gigabytes(1), 2_us}, true},
             {"a", "c", {BytesPerSecond::gigabytes(1), 1_us}, true},
             {"c", "d", {BytesPerSecond::gigabytes(1), 1_us}, true},
             {"a", "d", {BytesPerSecond::gigabytes(1), 100_us}, true}};
  const auto t = topology::build_topology(config::TopologySpec{s}, "test");
  CHECK(path_names(t, 0, 3) == "a>d");  // one hop beats two, whatever the latency
  CHECK(path_names(t, 1, 2) == "b>d>c");  // two hops either way: 2 + 1 us beats 5 + 1 us
}

TEST_CASE("ring and dragonfly builders connect every endpoint") {
  const auto ring = topology::build_topology(config::TopologySpec{config::RingSpec{6, {BytesPerSecond::gigabytes(1), 1_us}, true}}, "test");
  CHECK(ring.links().size() == 12);
  CHECK(path_names(ring, 0, 2) == "rank0>rank1>rank2");
  CHECK(path_names(ring, 0, 4) == "rank0>rank5>rank4");
  config::DragonflySpec d;
  d.groups = 3;
  d.routers_per_group = 2;
  d.endpoints_per_router = 2;
  d.endpoint_link = d.local_link = d.global_link = {BytesPerSecond::gigabytes(1), 1_us};
  const auto t = topology::build_topology(config::TopologySpec{d}, "test");
  CHECK(t.endpoint_count() == 12);
  for (std::int32_t i = 0; i < 12; ++i)
    for (std::int32_t j = 0; j < 12; ++j)
      if (i != j) CHECK(t.path(t.route(i, j).first_path).link_count <= 5);  // up, local, global, local, down
}

TEST_CASE("invalid topologies are config errors naming the file and the field") {
  const auto error_of = [](const auto& build) -> std::string {
    try {
      build();
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  CHECK_THAT(error_of([] {
               return topology::build_topology(catalog().cluster(SWITCHSIM_SOURCE_DIR "/tests/bad/cluster-disconnected-edges.json"));
             }),
             Catch::StartsWith(SWITCHSIM_SOURCE_DIR "/tests/bad/cluster-disconnected-edges.json: /topology/links: the network is disconnected"));
  config::NvSwitchSpec zero{4, {BytesPerSecond(0.0), 1_us}};
  CHECK_THAT(error_of([&] { return topology::build_topology(config::TopologySpec{zero}, "zero.json"); }),
             Catch::StartsWith("zero.json: /topology: link gpu0->nvswitch has a non-positive bandwidth"));
  auto cluster = catalog().cluster("dgx-h100-8");
  cluster.devices = 16;
  CHECK_THAT(error_of([&] { return topology::build_topology(cluster); }),
             Catch::Contains("dgx-h100-8.json: /devices: is 16 but the topology has 8 endpoints"));
  auto edges = diamond();
  edges.edges[1].to = "zz";
  CHECK(error_of([&] { return topology::build_topology(config::TopologySpec{edges}, "e.json"); }) ==
        "e.json: /topology/links/1/to: unknown node \"zz\"");
}
