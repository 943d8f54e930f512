#include "topology/build.hpp"

#include <fmt/format.h>

#include "config/error.hpp"

namespace switchsim::topology {
namespace {

class PartsBuilder {
 public:
  explicit PartsBuilder(std::string kind) { parts_.kind = std::move(kind); }
  std::int32_t node(std::string name, NodeKind kind, bool forwards) {
    parts_.nodes.push_back(Node{std::move(name), kind, forwards});
    return static_cast<std::int32_t>(parts_.nodes.size() - 1);
  }
  std::int32_t endpoint(std::string name, bool forwards = false) {
    return node(std::move(name), NodeKind::endpoint, forwards);
  }
  std::int32_t switch_node(std::string name) { return node(std::move(name), NodeKind::switch_node, true); }
  std::int32_t link(std::int32_t from, std::int32_t to, BytesPerSecond bandwidth, Picoseconds latency,
                    const std::string& link_class) {
    parts_.links.push_back(Link{from, to, bandwidth, latency, class_id(link_class)});
    return static_cast<std::int32_t>(parts_.links.size() - 1);
  }
  std::int32_t link(std::int32_t from, std::int32_t to, const config::LinkSpec& spec, const std::string& link_class) {
    return link(from, to, spec.bandwidth, spec.latency, link_class);
  }
  void pair(std::int32_t a, std::int32_t b, const config::LinkSpec& spec, const std::string& link_class) {
    link(a, b, spec, link_class);
    link(b, a, spec, link_class);
  }
  TopologyParts& parts() { return parts_; }

 private:
  std::int32_t class_id(const std::string& name) {
    for (std::size_t i = 0; i < parts_.link_classes.size(); ++i)
      if (parts_.link_classes[i] == name) return static_cast<std::int32_t>(i);
    parts_.link_classes.push_back(name);
    return static_cast<std::int32_t>(parts_.link_classes.size() - 1);
  }
  TopologyParts parts_;
};

TopologyParts nvswitch(const config::NvSwitchSpec& s) {
  PartsBuilder b("nvswitch");
  for (std::int64_t i = 0; i < s.endpoints; ++i) b.endpoint(fmt::format("gpu{}", i));
  const auto sw = b.switch_node("nvswitch");
  for (std::int32_t i = 0; i < s.endpoints; ++i) b.pair(i, sw, s.link, "nvlink");
  b.parts().endpoints_per_node = s.endpoints;
  return std::move(b.parts());
}

TopologyParts fat_tree(const config::FatTreeSpec& s) {
  PartsBuilder b(s.rail_optimized ? "rail_fat_tree" : "fat_tree");
  const std::int64_t g = s.endpoints_per_node;
  for (std::int64_t n = 0; n < s.nodes; ++n)
    for (std::int64_t i = 0; i < g; ++i) b.endpoint(fmt::format("n{}.gpu{}", n, i));
  const auto gpu = [&](std::int64_t n, std::int64_t i) { return static_cast<std::int32_t>(n * g + i); };
  if (s.intra_node) {
    for (std::int64_t n = 0; n < s.nodes; ++n) {
      const auto sw = b.switch_node(fmt::format("n{}.nvswitch", n));
      for (std::int64_t i = 0; i < g; ++i) b.pair(gpu(n, i), sw, *s.intra_node, "nvlink");
    }
  }
  const auto spine = b.switch_node("spine");
  const std::int64_t groups = s.nodes / s.nodes_per_leaf;
  const auto add_leaf = [&](const std::string& name, const std::vector<std::int32_t>& down) {
    const auto leaf = b.switch_node(name);
    for (const auto e : down) b.pair(e, leaf, s.nic, "nic");
    const BytesPerSecond up = s.nic.bandwidth * (static_cast<double>(down.size()) / s.oversubscription);
    b.link(leaf, spine, up, s.switch_latency, "leaf-spine");
    b.link(spine, leaf, up, s.switch_latency, "leaf-spine");
  };
  for (std::int64_t q = 0; q < groups; ++q) {
    if (s.rail_optimized) {
      for (std::int64_t r = 0; r < g; ++r) {
        std::vector<std::int32_t> down;
        for (std::int64_t n = q * s.nodes_per_leaf; n < (q + 1) * s.nodes_per_leaf; ++n) down.push_back(gpu(n, r));
        add_leaf(fmt::format("leaf.rail{}.{}", r, q), down);
      }
    } else {
      std::vector<std::int32_t> down;
      for (std::int64_t n = q * s.nodes_per_leaf; n < (q + 1) * s.nodes_per_leaf; ++n)
        for (std::int64_t i = 0; i < g; ++i) down.push_back(gpu(n, i));
      add_leaf(fmt::format("leaf{}", q), down);
    }
  }
  b.parts().endpoints_per_node = g;
  return std::move(b.parts());
}

TopologyParts torus(const config::TorusSpec& s) {
  PartsBuilder b("torus");
  TorusLayout t;
  t.dims = s.dims;
  t.endpoints_per_chip = s.endpoints_per_chip;
  std::int64_t chips = 1;
  for (const auto d : s.dims) chips *= d;
  for (std::int64_t c = 0; c < chips; ++c)
    for (std::int64_t e = 0; e < s.endpoints_per_chip; ++e) b.endpoint(fmt::format("chip{}.core{}", c, e));
  for (std::int64_t c = 0; c < chips; ++c) t.chip_nodes.push_back(b.switch_node(fmt::format("chip{}", c)));
  const config::LinkSpec intra =
      s.intra_chip ? *s.intra_chip
                   : config::LinkSpec{s.link.bandwidth * (2.0 * static_cast<double>(s.dims.size())), Picoseconds(0)};
  for (std::int64_t c = 0; c < chips; ++c)
    for (std::int64_t e = 0; e < s.endpoints_per_chip; ++e) {
      const auto ep = static_cast<std::int32_t>(c * s.endpoints_per_chip + e);
      t.endpoint_up.push_back(b.link(ep, t.chip_nodes[static_cast<std::size_t>(c)], intra, "chip"));
      t.endpoint_down.push_back(b.link(t.chip_nodes[static_cast<std::size_t>(c)], ep, intra, "chip"));
    }
  t.chip_links.assign(static_cast<std::size_t>(chips * 3 * 2), -1);
  const auto slot = [&](std::int64_t chip, std::size_t dim, int sign) -> std::int32_t& {
    return t.chip_links[static_cast<std::size_t>((chip * 3 + static_cast<std::int64_t>(dim)) * 2 + sign)];
  };
  std::int64_t stride = 1;
  for (std::size_t dim = 0; dim < s.dims.size(); ++dim) {
    const std::int64_t k = s.dims[dim];
    for (std::int64_t c = 0; c < chips && k > 1; ++c) {
      const std::int64_t coord = (c / stride) % k;
      const std::int64_t next = c + (((coord + 1) % k) - coord) * stride;
      if (k == 2 && coord == 1) continue;  // one link pair between the two chips
      const auto a = t.chip_nodes[static_cast<std::size_t>(c)];
      const auto z = t.chip_nodes[static_cast<std::size_t>(next)];
      const auto forward = b.link(a, z, s.link, "ici");
      const auto back = b.link(z, a, s.link, "ici");
      slot(c, dim, 0) = forward;
      slot(next, dim, 1) = back;
      if (k == 2) {
        slot(c, dim, 1) = forward;
        slot(next, dim, 0) = back;
      }
    }
    stride *= k;
  }
  b.parts().endpoints_per_node = s.endpoints_per_chip;
  b.parts().torus = std::move(t);
  return std::move(b.parts());
}

TopologyParts ring(const config::RingSpec& s) {
  PartsBuilder b("ring");
  for (std::int64_t i = 0; i < s.endpoints; ++i) b.endpoint(fmt::format("rank{}", i), true);
  const auto n = static_cast<std::int32_t>(s.endpoints);
  for (std::int32_t i = 0; i < n && n > 1; ++i) {
    if (n == 2 && i == 1) break;  // one link pair joins two endpoints
    b.link(i, (i + 1) % n, s.link, "ring");
    if (s.bidirectional || n == 2) b.link((i + 1) % n, i, s.link, "ring");
  }
  return std::move(b.parts());
}

TopologyParts dragonfly(const config::DragonflySpec& s) {
  PartsBuilder b("dragonfly");
  const std::int64_t per_group = s.routers_per_group * s.endpoints_per_router;
  for (std::int64_t g = 0; g < s.groups; ++g)
    for (std::int64_t r = 0; r < s.routers_per_group; ++r)
      for (std::int64_t e = 0; e < s.endpoints_per_router; ++e) b.endpoint(fmt::format("g{}.r{}.e{}", g, r, e));
  const std::int64_t first_router = s.groups * per_group;
  const auto router = [&](std::int64_t g, std::int64_t r) {
    return static_cast<std::int32_t>(first_router + g * s.routers_per_group + r);
  };
  for (std::int64_t g = 0; g < s.groups; ++g)
    for (std::int64_t r = 0; r < s.routers_per_group; ++r) b.switch_node(fmt::format("g{}.r{}", g, r));
  for (std::int64_t g = 0; g < s.groups; ++g)
    for (std::int64_t r = 0; r < s.routers_per_group; ++r) {
      for (std::int64_t e = 0; e < s.endpoints_per_router; ++e)
        b.pair(static_cast<std::int32_t>(g * per_group + r * s.endpoints_per_router + e), router(g, r),
               s.endpoint_link, "endpoint");
      for (std::int64_t r2 = r + 1; r2 < s.routers_per_group; ++r2) b.pair(router(g, r), router(g, r2), s.local_link, "local");
    }
  for (std::int64_t a = 0; a < s.groups; ++a)
    for (std::int64_t z = a + 1; z < s.groups; ++z)
      b.pair(router(a, (z - 1) % s.routers_per_group), router(z, a % s.routers_per_group), s.global_link, "global");
  b.parts().endpoints_per_node = s.endpoints_per_router;
  return std::move(b.parts());
}

TopologyParts edges(const config::EdgeListSpec& s, const std::string& file, const std::string& pointer) {
  PartsBuilder b("edges");
  std::unordered_map<std::string, std::int32_t> index;
  for (const auto& n : s.nodes)
    index[n.name] = n.endpoint ? b.endpoint(n.name, true) : b.switch_node(n.name);
  for (std::size_t i = 0; i < s.edges.size(); ++i) {
    const auto& e = s.edges[i];
    const auto where = fmt::format("{}/links/{}", pointer, i);
    const auto from = index.find(e.from);
    if (from == index.end()) throw config::ConfigError(file, where + "/from", "unknown node \"" + e.from + "\"");
    const auto to = index.find(e.to);
    if (to == index.end()) throw config::ConfigError(file, where + "/to", "unknown node \"" + e.to + "\"");
    if (!(e.link.bandwidth.value() > 0.0))
      throw config::ConfigError(file, where + "/bandwidth_GBps", "must be positive");
    b.link(from->second, to->second, e.link, "edge");
    if (e.bidirectional) b.link(to->second, from->second, e.link, "edge");
  }
  return std::move(b.parts());
}

}  // namespace

Topology build_topology(const config::TopologySpec& spec, const std::string& file, RoutingOptions routing,
                        const std::string& pointer) {
  struct Visitor {
    const std::string& file;
    const std::string& pointer;
    TopologyParts operator()(const config::NvSwitchSpec& s) const { return nvswitch(s); }
    TopologyParts operator()(const config::FatTreeSpec& s) const {
      if (s.nodes_per_leaf < 1 || s.nodes % s.nodes_per_leaf != 0)
        throw config::ConfigError(file, pointer + "/nodes_per_leaf", "must divide nodes");
      if (!(s.oversubscription >= 1.0))
        throw config::ConfigError(file, pointer + "/oversubscription", "must be at least 1");
      return fat_tree(s);
    }
    TopologyParts operator()(const config::TorusSpec& s) const {
      if (s.dims.empty() || s.dims.size() > 3) throw config::ConfigError(file, pointer + "/dims", "a torus has 1 to 3 dimensions");
      return torus(s);
    }
    TopologyParts operator()(const config::RingSpec& s) const { return ring(s); }
    TopologyParts operator()(const config::DragonflySpec& s) const { return dragonfly(s); }
    TopologyParts operator()(const config::EdgeListSpec& s) const { return edges(s, file, pointer); }
  };
  return Topology(std::visit(Visitor{file, pointer}, spec), file, pointer, routing);
}

Topology build_topology(const config::TopologySpec& spec, const std::string& file_for_errors) {
  return build_topology(spec, file_for_errors, RoutingOptions{});
}

Topology build_topology(const config::ClusterConfig& cluster, RoutingOptions routing) {
  const std::string file = cluster.file.empty() ? cluster.name : cluster.file;
  const std::int64_t endpoints = config::endpoint_count(cluster.topology);
  if (endpoints != cluster.devices)
    throw config::ConfigError(file, "/devices",
                              fmt::format("is {} but the topology has {} endpoints", cluster.devices, endpoints));
  return build_topology(cluster.topology, file, routing, "/topology");
}

Topology build_topology(const config::ClusterConfig& cluster) { return build_topology(cluster, RoutingOptions{}); }

}  // namespace switchsim::topology
