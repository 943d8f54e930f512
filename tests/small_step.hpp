#pragma once
// The small step and network the co-simulation tests share, milliseconds to simulate. Each
// test sets what it varies (overlap, all-reduce or all-to-all algorithm) on what it gets.

#include "config/topology_spec.hpp"
#include "model/scenario.hpp"
#include "topology/build.hpp"

namespace switchsim::test {

inline model::Scenario switch_base_8_on_one_dgx() {
  model::Scenario s;
  s.model = "switch-base-8";
  s.cluster = "dgx-h100-8";
  s.batch_tokens = 1 << 16;
  return s;
}

// 4 nodes of 2 GPUs, 2 nodes a leaf, NVLink 450 GB/s inside a node and 50 GB/s NICs: flows
// cross NVLink, NICs and the spine, and an all-to-all's intra-node flows drain long before its
// inter-node ones. Rail-optimized: one leaf per GPU index.
inline topology::Topology eight_gpu_fat_tree(bool rail_optimized = false) {
  config::FatTreeSpec f;
  f.nodes = 4;
  f.endpoints_per_node = 2;
  f.intra_node = config::LinkSpec{BytesPerSecond(450e9), Picoseconds(500'000)};
  f.nic = config::LinkSpec{BytesPerSecond(50e9), Picoseconds(1'000'000)};
  f.nodes_per_leaf = 2;
  f.switch_latency = Picoseconds(1'000'000);
  f.rail_optimized = rail_optimized;
  return topology::build_topology(config::TopologySpec{f}, "fat-tree");
}

}  // namespace switchsim::test
