#pragma once
// A cluster's interconnect as a directed graph (Boost.Graph adjacency_list) of endpoints
// (GPUs, TPU cores, CPU ranks) and switches. Every directed link has a bandwidth (per
// direction) and a latency. Endpoint i of the topology is device i of the cluster.
//
// Routes between endpoint pairs are computed on first use and cached (they are reused by
// every flow between the same pair):
// - shortest path: fewest hops, then least latency; among equal paths the link added first
//   by the builder wins (deterministic). With ECMP on, a flow is split evenly over the
//   equal-cost next hops at every node (fractions multiply along the way).
// - dimension-order on tori: dimension 0 first, then 1, then 2; in each dimension the short
//   way round; at exactly half way round, sources with an even coordinate go the + way and
//   odd ones the − way, so both directions carry the same load.
// Not thread-safe: the route cache fills lazily behind const methods.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "units/units.hpp"

namespace switchsim::topology {

enum class NodeKind { endpoint, switch_node };

struct Node {
  std::string name;
  NodeKind kind = NodeKind::switch_node;
  // Whether traffic between two other nodes may pass through this node. Switches do;
  // GPUs behind a switch do not; endpoints of rings and edge lists do (they are the routers).
  bool forwards = true;
};

struct Link {
  std::int32_t from = 0;  // node ids
  std::int32_t to = 0;
  BytesPerSecond bandwidth;
  Picoseconds latency{0};
  std::int32_t link_class = 0;  // index into Topology::link_classes()
};

// One path of a route: a run of link ids, the share of the flow it carries, its latency sum.
struct RoutePath {
  std::int64_t first_link = 0;  // into Topology::path_links()
  std::int32_t link_count = 0;
  std::int64_t first_split = 0;   // the links again, those that can bind first (see dominated())
  std::int32_t binding_count = 0;
  double fraction = 1.0;
  Picoseconds latency{0};
};

// A contiguous range of RoutePath indices.
struct RouteRef {
  std::int64_t first_path = 0;
  std::int32_t path_count = 0;
};

struct RoutingOptions {
  bool ecmp = false;
};

// Torus layout for dimension-order routing (set by the torus builder).
struct TorusLayout {
  std::vector<std::int64_t> dims;
  std::int64_t endpoints_per_chip = 1;
  std::vector<std::int32_t> chip_nodes;  // chip index (row-major, dim 0 fastest) -> node id
  // link id from chip c along dimension d in direction s (0: +, 1: −): plus_minus[(c*3+d)*2+s]; -1 absent
  std::vector<std::int32_t> chip_links;
  std::vector<std::int32_t> endpoint_up;    // endpoint -> link endpoint->chip
  std::vector<std::int32_t> endpoint_down;  // endpoint -> link chip->endpoint
};

// Up/down routing on a tree of switches (set by the fat-tree builders). Every endpoint has
// one ancestor per level (leaf, spine, core); a flow climbs from its source to the lowest
// common ancestor and descends to its destination. When a node-local switch joins the
// endpoints of a node (NVSwitch), a flow inside the node may use it instead; the shorter
// path wins (hops, then latency, then the lower first link id, exactly as the general
// shortest-path rule would choose). Each switch has one parent here (the builders model a
// layer of parallel switches as one aggregate switch), so the tree path is the unique
// shortest path through the tree, and routes cost O(levels) instead of a graph search.
struct TreeLayout {
  std::int32_t levels = 0;
  std::vector<std::int32_t> ancestor;  // [endpoint * levels + k]: node id of the level-k ancestor
  std::vector<std::int32_t> up;        // [endpoint * levels + k]: link from level k-1 (the endpoint at k = 0) up to level k
  std::vector<std::int32_t> down;      // [endpoint * levels + k]: the reverse link
  std::int64_t endpoints_per_local = 0;  // 0: no node-local switch
  std::vector<std::int32_t> local_up;    // endpoint -> link endpoint->local switch
  std::vector<std::int32_t> local_down;  // endpoint -> link local switch->endpoint
};

// A symmetry a builder declares: a permutation of the nodes (node_map[old] = new) that maps
// links onto links of the same bandwidth, latency and class, and routes onto routes.
// Applied `order` times it is the identity. The generators of one topology commute, and
// together they act freely on the endpoints (net/symmetry.hpp relies on this; Topology
// checks the link mapping and the free action, net/ checks the routes it uses).
struct SymmetryGenerator {
  std::vector<std::int32_t> node_map;
  std::int64_t order = 1;
};

// What a builder produces; Topology validates it and builds the graph.
struct TopologyParts {
  std::string kind;
  std::vector<Node> nodes;
  std::vector<Link> links;
  std::vector<std::string> link_classes;
  std::optional<std::int64_t> endpoints_per_node;  // inner group size for hierarchical collectives
  std::optional<TorusLayout> torus;
  std::optional<TreeLayout> tree;
  std::vector<SymmetryGenerator> symmetries;
};

// The group generated by a topology's declared symmetries, as net/symmetry.hpp uses it.
struct Symmetry {
  std::vector<std::vector<std::int32_t>> endpoint_maps;  // per generator: endpoint -> endpoint
  std::vector<std::vector<std::int32_t>> link_maps;      // per generator: link -> link
  std::vector<std::int64_t> generator_order;
  std::int64_t group_order = 1;                          // product of the generators' orders
  std::vector<std::int32_t> endpoint_orbit;  // endpoint -> least endpoint of its orbit
  std::vector<std::int32_t> link_orbit;      // link -> orbit index, 0..link_orbit_count-1
  std::vector<std::int64_t> link_orbit_size;
};

class Topology {
 public:
  struct EdgeData {
    std::int32_t link = 0;
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, EdgeData>;

  // Validates (positive bandwidths, no unknown nodes, every node reaches every other) and
  // throws config::ConfigError naming `file` and `pointer` when the parts are unusable.
  Topology(TopologyParts parts, const std::string& file, const std::string& pointer, RoutingOptions routing = {});

  std::int64_t endpoint_count() const { return static_cast<std::int64_t>(endpoints_.size()); }
  // Sum of the bandwidths of the endpoint's outgoing links: what it can push per second.
  BytesPerSecond injection_bandwidth(int endpoint) const;
  std::int32_t endpoint_node(std::int32_t endpoint) const { return endpoints_.at(static_cast<std::size_t>(endpoint)); }
  // Size of the inner level (GPUs per node, cores per chip) when the topology has one.
  std::optional<std::int64_t> endpoints_per_node() const { return endpoints_per_node_; }
  const std::string& kind() const { return kind_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<Link>& links() const { return links_; }
  const std::vector<std::string>& link_classes() const { return link_classes_; }
  const Graph& graph() const { return graph_; }
  bool ecmp() const { return routing_.ecmp; }
  // The declared symmetry group, or nullptr when the builder declared none (or its action
  // on the endpoints is not free: then net/ solves flow by flow).
  const Symmetry* symmetry() const { return symmetry_ ? &*symmetry_ : nullptr; }

  // The paths a flow from endpoint src to endpoint dst takes (empty when src == dst).
  RouteRef route(std::int32_t src, std::int32_t dst) const;
  const RoutePath& path(std::int64_t index) const { return paths_[static_cast<std::size_t>(index)]; }
  // Link ids of a path; valid until the next route() call computes a new route.
  std::span<const std::int32_t> links_of(const RoutePath& p) const {
    return {path_links_.data() + p.first_link, static_cast<std::size_t>(p.link_count)};
  }
  // Dominated links: on a tree, a switch-to-switch link at least as fast as all the endpoint
  // links that feed it (every flow through an up link leaves from an endpoint below it by
  // that endpoint's first link; every flow through a down link arrives by an endpoint's last
  // link), as in a non-blocking fat-tree. Its load is at most the sum of theirs, so at most
  // their capacities, so at most its own: it never limits a rate, and max-min rates are the
  // same without it (the allocation without it is feasible with it and keeps every flow's
  // bottleneck, so it is the unique max-min one). Empty without a tree layout.
  bool dominated(std::int32_t link) const { return !dominated_.empty() && dominated_[static_cast<std::size_t>(link)] != 0; }
  // A path's links that may bind (not dominated), and its dominated ones.
  std::span<const std::int32_t> binding_links_of(const RoutePath& p) const {
    if (dominated_.empty()) return links_of(p);
    return {split_links_.data() + p.first_split, static_cast<std::size_t>(p.binding_count)};
  }
  std::span<const std::int32_t> dominated_links_of(const RoutePath& p) const {
    if (dominated_.empty()) return {};
    return {split_links_.data() + p.first_split + p.binding_count, static_cast<std::size_t>(p.link_count - p.binding_count)};
  }
  std::string link_name(std::int32_t link) const;

 private:
  struct Distances {
    std::vector<std::int32_t> hops;  // -1: unreachable
    std::vector<std::int64_t> latency_ps;
  };
  const Distances& distances_to(std::int32_t dst_node) const;
  RouteRef compute_route(std::int32_t src, std::int32_t dst) const;
  void shortest_paths(std::int32_t src_node, std::int32_t dst_node, const Distances& to_dst,
                      std::vector<std::int32_t>& prefix, double fraction, Picoseconds latency) const;
  void dimension_order_path(std::int32_t src, std::int32_t dst) const;
  void tree_path(std::int32_t src, std::int32_t dst) const;
  void build_symmetry(const std::vector<SymmetryGenerator>& generators);
  void add_path(std::span<const std::int32_t> links, double fraction) const;
  void find_dominated_links();

  std::string kind_;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  std::vector<std::string> link_classes_;
  std::vector<std::int32_t> endpoints_;  // endpoint index -> node id
  std::optional<std::int64_t> endpoints_per_node_;
  std::optional<TorusLayout> torus_;
  std::optional<TreeLayout> tree_;
  std::optional<Symmetry> symmetry_;
  RoutingOptions routing_;
  Graph graph_;

  // Route cache.
  mutable std::vector<RouteRef> dense_routes_;  // src * n + dst, when n is small enough
  mutable std::unordered_map<std::int64_t, RouteRef> sparse_routes_;
  mutable std::vector<bool> dense_known_;
  mutable std::vector<RoutePath> paths_;
  mutable std::vector<std::int32_t> path_links_;
  std::vector<char> dominated_;                // per link, with a tree layout
  mutable std::vector<std::int32_t> split_links_;  // per path: binding links, then dominated ones
  mutable std::unordered_map<std::int32_t, Distances> distances_;
  // Next-hop candidates per depth of the path walk, reused across routes (no allocation per hop).
  mutable std::vector<std::vector<std::int32_t>> next_hops_;
};

}  // namespace switchsim::topology

// The builders (build_topology) come with this header, so callers need include only it.
#include "topology/build.hpp"
