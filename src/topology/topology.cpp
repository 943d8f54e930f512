#include "topology/topology.hpp"

#include <boost/graph/strong_components.hpp>
#include <fmt/format.h>

#include <cmath>
#include <set>

#include "config/error.hpp"
#include "units/checked.hpp"

namespace switchsim::topology {

namespace {
// Above this many endpoints the route cache is a hash map instead of an n×n table.
constexpr std::int64_t kDenseRouteLimit = 4096;
}  // namespace

Topology::Topology(TopologyParts parts, const std::string& file, const std::string& pointer, RoutingOptions routing)
    : kind_(std::move(parts.kind)),
      nodes_(std::move(parts.nodes)),
      links_(std::move(parts.links)),
      link_classes_(std::move(parts.link_classes)),
      endpoints_per_node_(parts.endpoints_per_node),
      torus_(std::move(parts.torus)),
      tree_(std::move(parts.tree)),
      routing_(routing),
      graph_(nodes_.size()) {
  const auto fail = [&](const std::string& where, const std::string& message) {
    throw config::ConfigError(file, where, message);
  };
  const auto node_count = static_cast<std::int32_t>(nodes_.size());
  for (std::int32_t i = 0; i < node_count; ++i)
    if (nodes_[static_cast<std::size_t>(i)].kind == NodeKind::endpoint) endpoints_.push_back(i);
  if (endpoints_.empty()) fail(pointer, "the topology has no endpoints");
  for (std::size_t l = 0; l < links_.size(); ++l) {
    const Link& link = links_[l];
    if (link.from < 0 || link.from >= node_count || link.to < 0 || link.to >= node_count)
      fail(pointer + "/links/" + std::to_string(l), "link joins an unknown node");
    if (!(link.bandwidth.value() > 0.0) || !std::isfinite(link.bandwidth.value()))
      fail(pointer, fmt::format("link {} has a non-positive bandwidth ({} B/s)", link_name(static_cast<std::int32_t>(l)),
                                link.bandwidth.value()));
    if (link.latency < Picoseconds(0)) fail(pointer, fmt::format("link {} has a negative latency", link_name(static_cast<std::int32_t>(l))));
    if (link.link_class < 0 || static_cast<std::size_t>(link.link_class) >= link_classes_.size())
      throw std::logic_error("topology builder: link class out of range");
    boost::add_edge(static_cast<std::size_t>(link.from), static_cast<std::size_t>(link.to),
                    EdgeData{static_cast<std::int32_t>(l)}, graph_);
  }
  // Every node must reach every other: one strongly connected component.
  std::vector<int> component(nodes_.size());
  const int components = boost::strong_components(
      graph_, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, graph_)));
  if (components > 1) {
    std::size_t other = 0;
    while (component[other] == component[0]) ++other;
    fail(kind_ == "edges" ? pointer + "/links" : pointer,
         fmt::format("the network is disconnected: nodes \"{}\" and \"{}\" cannot reach each other both ways",
                     nodes_[0].name, nodes_[other].name));
  }
  // Edge lists: paths may not pass through endpoints that do not forward, so connectivity
  // of the graph is not enough; every endpoint must reach every other through forwarders.
  if (kind_ == "edges") {
    for (const auto dst : endpoints_) {
      const Distances& d = distances_to(dst);
      for (const auto src : endpoints_)
        if (d.hops[static_cast<std::size_t>(src)] < 0)
          fail(pointer + "/nodes",
               fmt::format("endpoint \"{}\" cannot reach endpoint \"{}\": endpoints do not forward traffic unless "
                           "marked \"forwards\": true (or join them through a switch)",
                           nodes_[static_cast<std::size_t>(src)].name, nodes_[static_cast<std::size_t>(dst)].name));
    }
  }
  if (!parts.symmetries.empty()) build_symmetry(parts.symmetries);
  if (tree_) find_dominated_links();
}

// Topology::dominated() says why. Tree paths go up[src, 0..k] then down[dst, k..0]; local
// paths use no tree link. So the flows through up[e, k], k >= 1, leave by the first links
// up[e', 0] of the endpoints e' below it, and those through down[e, k] arrive by down[e', 0].
void Topology::find_dominated_links() {
  const TreeLayout& t = *tree_;
  const auto L = static_cast<std::size_t>(t.levels);
  std::vector<std::set<std::int32_t>> feeders(links_.size());
  for (std::size_t e = 0; e < endpoints_.size(); ++e)
    for (std::size_t k = 1; k < L; ++k) {
      if (const auto up = t.up[e * L + k]; up >= 0 && t.up[e * L] >= 0) feeders[static_cast<std::size_t>(up)].insert(t.up[e * L]);
      if (const auto down = t.down[e * L + k]; down >= 0 && t.down[e * L] >= 0)
        feeders[static_cast<std::size_t>(down)].insert(t.down[e * L]);
    }
  dominated_.assign(links_.size(), 0);
  bool any = false;
  for (std::size_t l = 0; l < links_.size(); ++l) {
    if (feeders[l].empty()) continue;
    double feed = 0.0;
    for (const auto f : feeders[l]) feed += links_[static_cast<std::size_t>(f)].bandwidth.value();
    if (links_[l].bandwidth.value() >= feed) dominated_[l] = any = true;
  }
  if (!any) dominated_.clear();
}

namespace {
std::int32_t find_root(std::vector<std::int32_t>& parent, std::int32_t x) {
  while (parent[static_cast<std::size_t>(x)] != x) {
    parent[static_cast<std::size_t>(x)] = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
    x = parent[static_cast<std::size_t>(x)];
  }
  return x;
}
void unite(std::vector<std::int32_t>& parent, std::int32_t a, std::int32_t b) {
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);  // the least index is the root
}
}  // namespace

// Checks that each declared generator maps links onto equal links (else the builder is wrong:
// logic_error), then computes the orbits of endpoints and links under the group they generate
// (union-find over the generators). Without a free action on the endpoints, no symmetry.
void Topology::build_symmetry(const std::vector<SymmetryGenerator>& generators) {
  const auto node_count = nodes_.size();
  std::unordered_map<std::int64_t, std::int32_t> link_of;
  link_of.reserve(links_.size());
  const auto key = [](std::int32_t a, std::int32_t b) { return (static_cast<std::int64_t>(a) << 32) | static_cast<std::uint32_t>(b); };
  for (std::size_t l = 0; l < links_.size(); ++l)
    if (!link_of.emplace(key(links_[l].from, links_[l].to), static_cast<std::int32_t>(l)).second) return;  // parallel links
  std::vector<std::int32_t> endpoint_index(node_count, -1);
  for (std::size_t e = 0; e < endpoints_.size(); ++e) endpoint_index[static_cast<std::size_t>(endpoints_[e])] = static_cast<std::int32_t>(e);
  Symmetry s;
  for (const auto& g : generators) {
    if (g.node_map.size() != node_count || g.order < 1) throw std::logic_error("topology builder: a symmetry of the wrong size");
    std::vector<bool> hit(node_count, false);
    for (const auto v : g.node_map) {
      if (v < 0 || static_cast<std::size_t>(v) >= node_count || hit[static_cast<std::size_t>(v)])
        throw std::logic_error("topology builder: a symmetry that is not a permutation");
      hit[static_cast<std::size_t>(v)] = true;
    }
    std::vector<std::int32_t> endpoint_map(endpoints_.size());
    for (std::size_t e = 0; e < endpoints_.size(); ++e) {
      const auto image = endpoint_index[static_cast<std::size_t>(g.node_map[static_cast<std::size_t>(endpoints_[e])])];
      if (image < 0) throw std::logic_error("topology builder: a symmetry maps an endpoint onto a switch");
      endpoint_map[e] = image;
    }
    std::vector<std::int32_t> link_map(links_.size());
    for (std::size_t l = 0; l < links_.size(); ++l) {
      const Link& a = links_[l];
      const auto it = link_of.find(key(g.node_map[static_cast<std::size_t>(a.from)], g.node_map[static_cast<std::size_t>(a.to)]));
      if (it == link_of.end()) throw std::logic_error("topology builder: a symmetry maps a link onto no link");
      const Link& b = links_[static_cast<std::size_t>(it->second)];
      if (b.bandwidth.value() != a.bandwidth.value() || b.latency != a.latency || b.link_class != a.link_class)
        throw std::logic_error("topology builder: a symmetry maps a link onto a different one");
      link_map[l] = it->second;
    }
    s.group_order = size_product("symmetry group order", {s.group_order, g.order});
    s.generator_order.push_back(g.order);
    s.endpoint_maps.push_back(std::move(endpoint_map));
    s.link_maps.push_back(std::move(link_map));
  }
  const auto orbits = [&](std::size_t count, const std::vector<std::vector<std::int32_t>>& maps) {
    std::vector<std::int32_t> parent(count);
    for (std::size_t i = 0; i < count; ++i) parent[i] = static_cast<std::int32_t>(i);
    for (const auto& m : maps)
      for (std::size_t i = 0; i < count; ++i) unite(parent, static_cast<std::int32_t>(i), m[i]);
    for (std::size_t i = 0; i < count; ++i) parent[i] = find_root(parent, static_cast<std::int32_t>(i));
    return parent;
  };
  s.endpoint_orbit = orbits(endpoints_.size(), s.endpoint_maps);
  std::vector<std::int64_t> size(endpoints_.size(), 0);
  for (const auto r : s.endpoint_orbit) ++size[static_cast<std::size_t>(r)];
  for (std::size_t e = 0; e < endpoints_.size(); ++e)
    if (s.endpoint_orbit[e] == static_cast<std::int32_t>(e) && size[e] != s.group_order) return;  // not free
  const auto roots = orbits(links_.size(), s.link_maps);
  std::vector<std::int32_t> dense(links_.size(), -1);
  s.link_orbit.resize(links_.size());
  for (std::size_t l = 0; l < links_.size(); ++l) {
    auto& d = dense[static_cast<std::size_t>(roots[l])];
    if (d < 0) {
      d = static_cast<std::int32_t>(s.link_orbit_size.size());
      s.link_orbit_size.push_back(0);
    }
    s.link_orbit[l] = d;
    ++s.link_orbit_size[static_cast<std::size_t>(d)];
  }
  symmetry_ = std::move(s);
}

BytesPerSecond Topology::injection_bandwidth(int endpoint) const {
  const auto node = static_cast<std::size_t>(endpoint_node(endpoint));
  BytesPerSecond total{0.0};
  for (auto [e, end] = boost::out_edges(node, graph_); e != end; ++e)
    total = total + links_[static_cast<std::size_t>(graph_[*e].link)].bandwidth;
  return total;
}

std::string Topology::link_name(std::int32_t link) const {
  const Link& l = links_.at(static_cast<std::size_t>(link));
  const auto name = [&](std::int32_t n) {
    return n >= 0 && static_cast<std::size_t>(n) < nodes_.size() ? nodes_[static_cast<std::size_t>(n)].name
                                                                  : std::to_string(n);
  };
  return name(l.from) + "->" + name(l.to);
}

RouteRef Topology::route(std::int32_t src, std::int32_t dst) const {
  const std::int64_t n = endpoint_count();
  if (src < 0 || src >= n || dst < 0 || dst >= n)
    throw std::out_of_range(fmt::format("route: endpoint {} or {} out of range (0..{})", src, dst, n - 1));
  const std::int64_t key = static_cast<std::int64_t>(src) * n + dst;
  if (n <= kDenseRouteLimit) {
    if (dense_routes_.empty()) {  // allocated on first use: n x n entries
      dense_routes_.resize(static_cast<std::size_t>(n * n));
      dense_known_.resize(dense_routes_.size(), false);
    }
    const auto k = static_cast<std::size_t>(key);
    if (!dense_known_[k]) {
      dense_routes_[k] = compute_route(src, dst);
      dense_known_[k] = true;
    }
    return dense_routes_[k];
  }
  auto it = sparse_routes_.find(key);
  if (it == sparse_routes_.end()) it = sparse_routes_.emplace(key, compute_route(src, dst)).first;
  return it->second;
}

}  // namespace switchsim::topology
