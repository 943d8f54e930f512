#pragma once
// The small step and network the co-simulation tests share, milliseconds to simulate. Each
// test sets what it varies (overlap, all-reduce or all-to-all algorithm) on what it gets.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/topology_spec.hpp"
#include "model/scenario.hpp"
#include "net/drain_clock.hpp"
#include "topology/build.hpp"

namespace switchsim::test {

// n endpoints on one switch, 100 GB/s a link, 1 us a link.
inline topology::Topology crossbar(std::int64_t n) {
  config::NvSwitchSpec s{n, config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)}};
  return topology::build_topology(config::TopologySpec{s}, "crossbar");
}

// 4x4 torus, one endpoint a chip, 100 GB/s, 1 us a hop.
inline topology::Topology torus_4x4() {
  config::TorusSpec t;
  t.dims = {4, 4};
  t.link = config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)};
  return topology::build_topology(config::TopologySpec{t}, "torus-4x4");
}

// Two ends the same but for the network's completion slack (symmetry-reduced and flow-by-flow
// rates equal but for the last bits of their sums).
inline bool within_slack(Picoseconds a, Picoseconds b) {
  return std::abs(a.count() - b.count()) <= net::kCompletionSlack.count();
}

inline model::Scenario switch_base_8_on_one_dgx() {
  model::Scenario s;
  s.model = "switch-base-8";
  s.cluster = "dgx-h100-8";
  s.batch_tokens = 1 << 16;
  return s;
}

// A fat-tree of `nodes` nodes of `per_node` GPUs, `per_leaf` nodes a leaf: NVLink 450 GB/s
// (0.5 us) inside a node, NICs of `nic` (1 us), 1 us a switch. Rail-optimized: one leaf per
// GPU index.
inline config::FatTreeSpec fat_tree_spec(std::int64_t nodes, std::int64_t per_node, std::int64_t per_leaf, BytesPerSecond nic,
                                         bool rail_optimized = false) {
  config::FatTreeSpec f;
  f.nodes = nodes;
  f.endpoints_per_node = per_node;
  f.intra_node = config::LinkSpec{BytesPerSecond(450e9), Picoseconds(500'000)};
  f.nic = config::LinkSpec{nic, Picoseconds(1'000'000)};
  f.nodes_per_leaf = per_leaf;
  f.switch_latency = Picoseconds(1'000'000);
  f.rail_optimized = rail_optimized;
  return f;
}
inline topology::Topology fat_tree(std::int64_t nodes, std::int64_t per_node, std::int64_t per_leaf, BytesPerSecond nic,
                                   bool rail_optimized = false, const std::string& name = "fat-tree") {
  return topology::build_topology(config::TopologySpec{fat_tree_spec(nodes, per_node, per_leaf, nic, rail_optimized)}, name);
}

// 4 nodes of 2 GPUs, 2 nodes a leaf, 50 GB/s NICs: flows cross NVLink, NICs and the spine,
// and an all-to-all's intra-node flows drain long before its inter-node ones.
inline topology::Topology eight_gpu_fat_tree(bool rail_optimized = false) {
  return fat_tree(4, 2, 2, BytesPerSecond(50e9), rail_optimized);
}

}  // namespace switchsim::test
