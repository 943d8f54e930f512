#include "topology/topology.hpp"

#include <boost/graph/strong_components.hpp>
#include <fmt/format.h>

#include <cmath>

#include "config/error.hpp"

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
