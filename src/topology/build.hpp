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
// - fat_tree / rail_fat_tree with nodes_per_pod: three tiers. The leaves of each pod (a
//   group of nodes_per_pod nodes, e.g. 4 DGX SuperPOD scalable units) join the pod's spine
//   (one aggregate switch, as above), the pods' spines join one aggregate core switch over
//   links carrying the pod's whole NIC bandwidth / oversubscription.
//   Fat trees route up/down (TreeLayout: the unique shortest path, computed in O(levels))
//   and declare their symmetries: cyclic shifts of the node under a leaf, of the leaf group
//   in a pod, of the pod, and of the GPU index (with the rail's leaves).
// - nvswitch declares the rotation of its endpoints; torus its translations (by 2 along an
//   even dimension: dimension-order routing's half-way rule looks at coordinate parity) and
//   the rotation of the cores of each chip. net/symmetry.hpp solves symmetric traffic with
//   them.
// - edges: the nodes and links as listed; switches forward, endpoints only when marked
//   ("forwards": true); "ecmp": true in the topology object splits flows over equal-cost
//   paths. Every endpoint must reach every other through forwarding nodes (else a
//   config::ConfigError names the pair and the field to fix).

#include <string>

#include "config/cluster_config.hpp"
#include "config/topology_spec.hpp"
#include "topology/topology.hpp"

namespace switchsim::topology {

// Throws config::ConfigError (naming the cluster's file and the field) when invalid.
Topology build_topology(const config::ClusterConfig& cluster);
Topology build_topology(const config::ClusterConfig& cluster, RoutingOptions routing);
Topology build_topology(const config::TopologySpec& spec, const std::string& file_for_errors);
// The parts a builder makes (for tests that compare the builders' layouts with the general
// shortest-path routing of the same graph).
TopologyParts build_parts(const config::TopologySpec& spec, const std::string& file_for_errors,
                          const std::string& pointer = "/topology");
Topology build_topology(const config::TopologySpec& spec, const std::string& file_for_errors, RoutingOptions routing,
                        const std::string& pointer = "/topology");

}  // namespace switchsim::topology
