// Tree routing of fat-trees (three tiers included), the declared symmetries, and symmetry
// reduction (net/symmetry.hpp): the reduced max-min solution equals the per-flow one on every
// shipped topology up to 1,024 endpoints, and perturbed traffic falls back to per-flow.

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "config/catalog.hpp"
#include "net/collective.hpp"
#include "net/concurrent.hpp"
#include "net/symmetry.hpp"
#include "topology/build.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
using switchsim::test::catalog;

config::FatTreeSpec small_fat_tree(bool rail, std::int64_t nodes_per_pod, bool intra) {
  config::FatTreeSpec f;
  f.nodes = 8;
  f.endpoints_per_node = 2;
  if (intra) f.intra_node = config::LinkSpec{BytesPerSecond(450e9), Picoseconds(500'000)};
  f.nic = config::LinkSpec{BytesPerSecond(50e9), Picoseconds(1'000'000)};
  f.nodes_per_leaf = 2;
  f.nodes_per_pod = nodes_per_pod;
  f.switch_latency = Picoseconds(1'000'000);
  f.rail_optimized = rail;
  return f;
}

std::vector<std::int32_t> iota_ranks(std::int64_t n) {
  std::vector<std::int32_t> r(static_cast<std::size_t>(n));
  std::iota(r.begin(), r.end(), 0);
  return r;
}

std::vector<std::int32_t> route_links(const topology::Topology& t, std::int32_t s, std::int32_t d) {
  std::vector<std::int32_t> out;
  const auto r = t.route(s, d);
  for (std::int32_t p = 0; p < r.path_count; ++p)
    for (const auto l : t.links_of(t.path(r.first_path + p))) out.push_back(l);
  return out;
}

// Per-flow max-min of a round against its reduced system: every link's load and the sorted
// list of flow rates (each class's rate repeated once per flow it stands for), 1e-9 relative.
// Returns false (checking nothing) when the round is not symmetric under any generator.
bool reduced_equals_per_flow(const topology::Topology& t, const std::vector<net::Flow>& flows) {
  const auto reduced = net::reduce_round(t, flows);
  if (!reduced) return false;
  net::MaxMinSystem full;
  for (const auto& link : t.links()) full.add_constraint(link.bandwidth.value());
  std::vector<double> bytes;
  for (const auto& f : flows) {
    if (f.src == f.dst) continue;
    const auto r = t.route(f.src, f.dst);
    for (std::int32_t p = 0; p < r.path_count; ++p) {
      const auto& path = t.path(r.first_path + p);
      if (f.bytes.as_double() * path.fraction <= 0) continue;
      const auto links = t.links_of(path);
      const std::vector<std::int32_t> copy(links.begin(), links.end());
      full.add_variable(copy, 1);
    }
  }
  std::vector<double> rates, load;
  full.solve(rates, load);
  std::vector<double> reduced_rates, reduced_load;
  reduced->system.solve(reduced_rates, reduced_load);
  std::vector<double> expanded;
  for (std::size_t v = 0; v < reduced_rates.size(); ++v) {
    const auto& c = reduced->classes[static_cast<std::size_t>(reduced->variable_class[v])];
    expanded.insert(expanded.end(), static_cast<std::size_t>(c.flows), reduced_rates[v]);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(expanded.begin(), expanded.end());
  REQUIRE(expanded.size() == rates.size());
  for (std::size_t i = 0; i < rates.size(); ++i) REQUIRE(expanded[i] == Approx(rates[i]).epsilon(1e-9));
  std::vector<double> orbit_load(reduced->link_orbit.size(), 0.0);
  for (std::size_t c = 0; c < reduced_load.size(); ++c) orbit_load[static_cast<std::size_t>(reduced->constraint_orbit[c])] = reduced_load[c];
  for (std::size_t l = 0; l < load.size(); ++l)
    REQUIRE(orbit_load[static_cast<std::size_t>(reduced->link_orbit[l])] == Approx(load[l]).epsilon(1e-9).margin(1e-6));
  return true;
}
void check_reduced_equals_per_flow(const topology::Topology& t, const std::vector<net::Flow>& flows) {
  REQUIRE(reduced_equals_per_flow(t, flows));
}

std::vector<net::Flow> ring_round(std::int64_t n, Bytes chunk) {
  std::vector<net::Flow> flows;
  for (std::int64_t i = 0; i < n; ++i) flows.push_back(net::Flow{static_cast<std::int32_t>(i), static_cast<std::int32_t>((i + 1) % n), chunk});
  return flows;
}

// The rounds of a collective, materialized.
std::vector<std::vector<net::Flow>> rounds_of(const topology::Topology& t, net::CollectiveOp op, net::Algorithm a) {
  net::CollectiveSpec spec;
  spec.op = op;
  spec.algorithm = a;
  spec.ranks = iota_ranks(t.endpoint_count());
  spec.bytes_per_rank = 64_MiB;
  std::vector<std::vector<net::Flow>> out;
  for (const auto& run : net::collective_round_runs(t, spec)) out.push_back(net::round_flows(run));
  return out;
}
}  // namespace

TEST_CASE("tree routes of every fat-tree shape are the paths the general shortest-path search picks") {
  for (const bool rail : {false, true})
    for (const std::int64_t pod : {std::int64_t{0}, std::int64_t{4}})
      for (const bool intra : {false, true})
        for (const bool ecmp : {false, true}) {
          const config::TopologySpec spec{small_fat_tree(rail, pod, intra)};
          const topology::Topology tree(topology::build_parts(spec, "t"), "t", "/topology", {ecmp});
          auto parts = topology::build_parts(spec, "t");
          parts.tree.reset();
          parts.symmetries.clear();
          const topology::Topology general(std::move(parts), "t", "/topology", {ecmp});
          for (std::int32_t s = 0; s < 16; ++s)
            for (std::int32_t d = 0; d < 16; ++d) {
              INFO("rail " << rail << " pod " << pod << " intra " << intra << " ecmp " << ecmp << " " << s << "->" << d);
              REQUIRE(route_links(tree, s, d) == route_links(general, s, d));
              const auto a = tree.route(s, d), b = general.route(s, d);
              for (std::int32_t p = 0; p < a.path_count; ++p)
                CHECK(tree.path(a.first_path + p).fraction == general.path(b.first_path + p).fraction);
            }
        }
}

TEST_CASE("a three-tier fat-tree crosses 2 links in a node, 2 under a leaf, 4 in a pod and 6 between pods") {
  // 8 nodes of 2, 2 nodes a leaf, 4 nodes a pod: two pods; rail-optimized, NVSwitch inside.
  const auto t = topology::build_topology(config::TopologySpec{small_fat_tree(true, 4, true)}, "t");
  CHECK(route_links(t, 0, 1).size() == 2);   // n0.gpu0 -> n0.gpu1: NVSwitch
  CHECK(route_links(t, 0, 2).size() == 2);   // n0.gpu0 -> n1.gpu0: rail 0's leaf
  CHECK(route_links(t, 0, 3).size() == 4);   // n0.gpu0 -> n1.gpu1: other rail, same pod
  CHECK(route_links(t, 0, 8).size() == 6);   // n0.gpu0 -> n4.gpu0: pod 1, through the core
  const auto cross = route_links(t, 0, 8);
  CHECK(t.link_name(cross[2]) == "pod0.spine->core");
  CHECK(t.link_name(cross[3]) == "core->pod1.spine");
  // The pod uplink carries the pod's 8 NICs: 8 x 50 GB/s.
  CHECK(t.links()[static_cast<std::size_t>(cross[2])].bandwidth.value() == Approx(400e9));
}

TEST_CASE("h100-fat-tree-16384 is 2,048 DGX nodes in 16 pods whose symmetry maps any GPU onto any other") {
  const auto cluster = catalog().cluster("h100-fat-tree-16384");
  const auto t = topology::build_topology(cluster);
  CHECK(t.endpoint_count() == 16384);
  const auto* sym = t.symmetry();
  REQUIRE(sym);
  CHECK(sym->group_order == 16384);  // free and transitive: one source orbit
  CHECK(route_links(t, 0, 16383).size() == 6);
  CHECK(route_links(t, 0, 8 * 128 - 1).size() == 4);
}

TEST_CASE("declared symmetries act freely on the endpoints of nvswitch, fat-trees and tori") {
  CHECK(topology::build_topology(catalog().cluster("dgx-h100-8")).symmetry()->group_order == 8);
  CHECK(topology::build_topology(catalog().cluster("h100-fat-tree-1024")).symmetry()->group_order == 1024);
  // TPU v3-32: a 4x4 torus of 2-core chips; translations by 2 in each dimension (2 x 2) and
  // the core swap: a group of 8 over 32 cores, so 4 source orbits.
  const auto tpu = topology::build_topology(catalog().cluster("tpu-v3-32"));
  REQUIRE(tpu.symmetry());
  CHECK(tpu.symmetry()->group_order == 8);
  // A ring declares none.
  config::RingSpec ring{6, config::LinkSpec{BytesPerSecond(1e9), Picoseconds(0)}, true};
  CHECK(topology::build_topology(config::TopologySpec{ring}, "ring").symmetry() == nullptr);
}

TEST_CASE("reduced and per-flow max-min solutions are equal on every shipped topology up to 1,024 endpoints") {
  const auto c = catalog();
  int checked = 0;
  for (const auto& name : c.hardware_names()) {
    config::ClusterConfig cluster;
    try {
      cluster = c.cluster(name);
    } catch (const std::exception&) {
      continue;  // a device file
    }
    if (cluster.devices > 1024 || cluster.devices < 2) continue;
    const auto t = topology::build_topology(cluster);
    if (!t.symmetry()) continue;
    INFO(name);
    const auto n = t.endpoint_count();
    net::AllPairs pairs{iota_ranks(n), 1_MiB};
    check_reduced_equals_per_flow(t, net::all_pairs_flows(pairs));  // direct all-to-all: fully symmetric
    // A ring all-reduce step and the hierarchical all-reduce's rounds: symmetric under the
    // generators that keep them (all on one NVSwitch; fewer on fat-trees and tori).
    const bool ring = reduced_equals_per_flow(t, ring_round(n, 1_MiB));
    if (t.kind() == "nvswitch") CHECK(ring);
    if (t.endpoints_per_node() && *t.endpoints_per_node() < n)
      for (const auto& round : rounds_of(t, net::CollectiveOp::allreduce, net::Algorithm::hierarchical))
        CHECK(reduced_equals_per_flow(t, round));  // inside nodes and along rails: GPU rotation keeps them
    ++checked;
  }
  CHECK(checked >= 3);  // dgx-h100-8, h100-fat-tree-1024, tpu-v3-32
}

TEST_CASE("reduced and per-flow solutions are equal on fat-trees of two and three tiers and a 3x3x2 torus") {
  for (const bool rail : {false, true})
    for (const std::int64_t pod : {std::int64_t{0}, std::int64_t{4}}) {
      const auto t = topology::build_topology(config::TopologySpec{small_fat_tree(rail, pod, true)}, "t");
      check_reduced_equals_per_flow(t, net::all_pairs_flows(net::AllPairs{iota_ranks(16), 1_MiB}));
      reduced_equals_per_flow(t, ring_round(16, 1_MiB));
      for (const auto& round : rounds_of(t, net::CollectiveOp::allreduce, net::Algorithm::hierarchical))
        CHECK(reduced_equals_per_flow(t, round));
    }
  config::TorusSpec torus;
  torus.dims = {3, 3, 2};
  torus.link = config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)};
  const auto t = topology::build_topology(config::TopologySpec{torus}, "torus");
  check_reduced_equals_per_flow(t, net::all_pairs_flows(net::AllPairs{iota_ranks(18), 1_MiB}));
}

TEST_CASE("a perturbed traffic matrix or a topology without symmetry falls back to per-flow solving") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  std::mt19937 rng(17);
  auto flows = net::all_pairs_flows(net::AllPairs{iota_ranks(8), 1_MiB});
  REQUIRE(net::reduce_round(t, flows));
  for (int trial = 0; trial < 20; ++trial) {
    auto perturbed = flows;
    const auto i = std::uniform_int_distribution<std::size_t>(0, perturbed.size() - 1)(rng);
    perturbed[i].bytes += Bytes(std::uniform_int_distribution<std::int64_t>(1, 1000)(rng));
    CHECK_FALSE(net::reduce_round(t, perturbed));
    auto fewer = flows;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
    CHECK_FALSE(net::reduce_round(t, fewer));
  }
  // A rank set that is not a union of orbits.
  net::AllPairs some{{0, 1, 2}, 1_MiB};
  CHECK_FALSE(net::reduce_round(t, {}, &some));
  config::RingSpec ring{6, config::LinkSpec{BytesPerSecond(1e9), Picoseconds(0)}, true};
  const auto r = topology::build_topology(config::TopologySpec{ring}, "ring");
  CHECK_FALSE(net::reduce_round(r, ring_round(6, 1_MiB)));
}

TEST_CASE("a collective timed with symmetry reduction ends within a picosecond a round of the per-flow simulation") {
  const auto t = topology::build_topology(config::TopologySpec{small_fat_tree(true, 4, true)}, "t");
  for (const auto& [op, a] : {std::pair{net::CollectiveOp::alltoall, net::Algorithm::direct},
                              std::pair{net::CollectiveOp::allreduce, net::Algorithm::hierarchical},
                              std::pair{net::CollectiveOp::allgather, net::Algorithm::direct}}) {
    net::CollectiveSpec spec;
    spec.op = op;
    spec.algorithm = a;
    spec.ranks = iota_ranks(16);
    spec.bytes_per_rank = 64_MiB;
    const std::array<net::CollectiveSpec, 1> specs{spec};
    const auto fast = net::concurrent_collectives_time(t, specs);
    const auto per_flow = net::concurrent_collectives_time(t, specs, net::ConcurrentOptions{true, false});
    INFO(net::to_string(op) << " " << net::to_string(a));
    CHECK(fast.reduced_rounds > 0);
    CHECK(per_flow.reduced_rounds == 0);
    const auto rounds = static_cast<std::int64_t>(net::collective_rounds(t, spec).size());
    CHECK(std::abs(fast.time.count() - per_flow.time.count()) <= rounds);
    for (std::size_t l = 0; l < fast.peak_utilization.size(); ++l)
      CHECK(fast.peak_utilization[l] == Approx(per_flow.peak_utilization[l]).epsilon(1e-9).margin(1e-12));
  }
}

TEST_CASE("a direct all-to-all on 1,024 H100s over NDR is bounded by each GPU's NIC: (n - 1 - 7)/n of S at 50 GB/s") {
  // Rail-optimized, non-blocking: 7 of a GPU's 1,023 peers are on its NVSwitch (450 GB/s);
  // the other 1,016 flows share its 50 GB/s NIC. With S = 1 GiB, each of those flows carries
  // S/1024 bytes: the NIC drains 1016 S / 1024 at 50e9 B/s, plus 2 NIC + 2 switch latencies.
  const auto t = topology::build_topology(catalog().cluster("h100-fat-tree-1024"));
  net::CollectiveSpec spec;
  spec.op = net::CollectiveOp::alltoall;
  spec.algorithm = net::Algorithm::direct;
  spec.ranks = iota_ranks(1024);
  spec.bytes_per_rank = Bytes(std::int64_t{1} << 30);
  const auto r = net::concurrent_collectives_time(t, std::span<const net::CollectiveSpec>(&spec, 1));
  CHECK(r.reduced_rounds == 1);
  const double expected = 1016.0 * (1 << 20) / 50e9 + 4e-6;
  CHECK(r.time.seconds() == Approx(expected).epsilon(1e-6));
}
