#pragma once
// Builders: turn a config::TopologySpec into a Topology (the ns-3 "helper" side).
// - nvswitch: one crossbar switch, each endpoint joined to it by one link pair.
// - fat_tree / rail_fat_tree: per node an NVSwitch (when intra_node is given) and one NIC
//   per endpoint to a leaf; leaves join one aggregate spine. A leaf's uplink carries
//   (its downlinks' total NIC bandwidth) / oversubscription: the spine layer is modelled as
//   one switch reached over an aggregate link, i.e. as perfect ECMP spraying over spines.
//   Rail-optimized: GPU i of every node on rail i's leaves (nodes_per_leaf nodes a leaf).
// - torus: chip routers with wraparound links in each dimension (one link pair when a
//   dimension has size 2); endpoints_per_chip cores per chip join its router over
//   intra_chip (default: the chip's total link bandwidth, no latency). Dimension-order routed.
// - ring: endpoints joined in a cycle, forwarding for each other.
// - dragonfly: routers all-to-all in a group, one global link pair between each two groups
//   (group a reaches group b from router (index of b among a's other groups) mod routers).
// - edges: the nodes and links as listed; every node forwards.

#include <string>

#include "config/cluster_config.hpp"
#include "config/topology_spec.hpp"
#include "topology/topology.hpp"

namespace switchsim::topology {

// Throws config::ConfigError (naming the cluster's file and the field) when invalid.
Topology build_topology(const config::ClusterConfig& cluster);
Topology build_topology(const config::ClusterConfig& cluster, RoutingOptions routing);
Topology build_topology(const config::TopologySpec& spec, const std::string& file_for_errors);
Topology build_topology(const config::TopologySpec& spec, const std::string& file_for_errors, RoutingOptions routing,
                        const std::string& pointer = "/topology");

}  // namespace switchsim::topology
