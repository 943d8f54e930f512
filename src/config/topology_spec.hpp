#pragma once
// The typed description of a cluster's interconnect, as read from the "topology" object of
// a cluster file. topology/ turns it into a Boost.Graph; this file only says what was asked.
// Bandwidths are per direction; latencies are per link traversal.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "units/units.hpp"

namespace switchsim::config {

struct LinkSpec {
  BytesPerSecond bandwidth;
  Picoseconds latency{0};
};

// All endpoints on one non-blocking crossbar (an NVSwitch node).
struct NvSwitchSpec {
  std::int64_t endpoints = 0;
  LinkSpec link;  // endpoint <-> switch
};

// Two-level fat-tree of nodes; each node is an NVSwitch island with one NIC per endpoint.
// rail_optimized: NIC i of every node goes to rail i's leaf switches (GPU i talks to GPU i
// of other nodes through one leaf); otherwise all NICs of a node share a leaf.
struct FatTreeSpec {
  std::int64_t nodes = 0;
  std::int64_t endpoints_per_node = 0;
  std::optional<LinkSpec> intra_node;  // absent: no NVSwitch, endpoints talk through NICs only
  LinkSpec nic;                        // endpoint <-> leaf
  std::int64_t nodes_per_leaf = 0;     // nodes (per rail, when rail-optimized) under one leaf
  double oversubscription = 1.0;       // leaf down-bandwidth / leaf up-bandwidth
  Picoseconds switch_latency{0};       // leaf <-> spine link latency
  bool rail_optimized = false;
  // 0: two tiers (leaves under one spine). Otherwise three: the leaves of each pod of
  // nodes_per_pod nodes under the pod's spine, the pods' spines under one core
  // (a DGX SuperPOD-style scalable-unit design).
  std::int64_t nodes_per_pod = 0;
};

// k-dimensional torus of chips with wraparound; each chip hosts endpoints_per_chip cores
// that share its links (TPU v3: 2 TensorCores a chip).
struct TorusSpec {
  std::vector<std::int64_t> dims;
  std::int64_t endpoints_per_chip = 1;
  LinkSpec link;                      // chip <-> neighbour chip, per direction
  std::optional<LinkSpec> intra_chip;  // core <-> chip router
};

struct RingSpec {
  std::int64_t endpoints = 0;
  LinkSpec link;
  bool bidirectional = true;
};

// Dragonfly: groups of routers, all-to-all inside a group, one global link between every
// pair of groups.
struct DragonflySpec {
  std::int64_t groups = 0;
  std::int64_t routers_per_group = 0;
  std::int64_t endpoints_per_router = 0;
  LinkSpec endpoint_link;
  LinkSpec local_link;
  LinkSpec global_link;
};

// An explicit graph. Switches forward traffic between other nodes; endpoints do only when
// marked (`"forwards": true`: a GPU that relays, a torus written as an edge list). Ties
// between equal shortest paths go to the lowest link id, or, with `"ecmp": true`, split the
// flow evenly at every equal-cost next hop.
struct EdgeListSpec {
  struct Node {
    std::string name;
    bool endpoint = true;
    bool forwards = false;  // endpoints only; switches always forward
  };
  struct Edge {
    std::string from;
    std::string to;
    LinkSpec link;
    bool bidirectional = true;
  };
  std::vector<Node> nodes;
  std::vector<Edge> edges;
  bool ecmp = false;
};

using TopologySpec = std::variant<NvSwitchSpec, FatTreeSpec, TorusSpec, RingSpec, DragonflySpec, EdgeListSpec>;

// Number of endpoints (devices) the topology provides.
std::int64_t endpoint_count(const TopologySpec& spec);
std::string topology_kind(const TopologySpec& spec);

TopologySpec parse_topology(const nlohmann::json& object, const std::string& file, const std::string& pointer);
nlohmann::json to_json(const TopologySpec& spec);

}  // namespace switchsim::config
