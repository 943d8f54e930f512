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
  if (s.endpoints > 1) {  // rotate the endpoints; the switch stays
    SymmetryGenerator gen{std::vector<std::int32_t>(static_cast<std::size_t>(s.endpoints + 1)), s.endpoints};
    for (std::int64_t i = 0; i < s.endpoints; ++i) gen.node_map[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((i + 1) % s.endpoints);
    gen.node_map.back() = sw;
    b.parts().symmetries.push_back(std::move(gen));
  }
  return std::move(b.parts());
}

// Node coordinates of a fat-tree: node n = pod·(nodes a pod) + group·(nodes a leaf) + slot.
struct FatTreeShape {
  std::int64_t g, npl, gpp, pods;  // endpoints a node, nodes a leaf, leaf groups a pod, pods
  std::int64_t node(std::int64_t pod, std::int64_t group, std::int64_t slot) const { return (pod * gpp + group) * npl + slot; }
};

TopologyParts fat_tree(const config::FatTreeSpec& s) {
  PartsBuilder b(s.rail_optimized ? "rail_fat_tree" : "fat_tree");
  const std::int64_t g = s.endpoints_per_node;
  const bool three_tier = s.nodes_per_pod > 0;
  const std::int64_t npp = three_tier ? s.nodes_per_pod : s.nodes;
  const FatTreeShape shape{g, s.nodes_per_leaf, npp / s.nodes_per_leaf, s.nodes / npp};
  const std::int64_t rails = s.rail_optimized ? g : 1;
  const std::int32_t levels = three_tier ? 3 : 2;
  for (std::int64_t n = 0; n < s.nodes; ++n)
    for (std::int64_t i = 0; i < g; ++i) b.endpoint(fmt::format("n{}.gpu{}", n, i));
  const auto gpu = [&](std::int64_t n, std::int64_t i) { return static_cast<std::int32_t>(n * g + i); };
  TreeLayout tree;
  tree.levels = levels;
  const auto n_endpoints = static_cast<std::size_t>(s.nodes * g);
  tree.ancestor.assign(n_endpoints * static_cast<std::size_t>(levels), -1);
  tree.up.assign(tree.ancestor.size(), -1);
  tree.down.assign(tree.ancestor.size(), -1);
  const auto slot = [&](std::int32_t e, std::int32_t k) { return static_cast<std::size_t>(e) * static_cast<std::size_t>(levels) + static_cast<std::size_t>(k); };
  std::vector<std::int32_t> nvswitch_node;
  if (s.intra_node) {
    tree.endpoints_per_local = g;
    tree.local_up.resize(n_endpoints);
    tree.local_down.resize(n_endpoints);
    for (std::int64_t n = 0; n < s.nodes; ++n) {
      const auto sw = b.switch_node(fmt::format("n{}.nvswitch", n));
      nvswitch_node.push_back(sw);
      for (std::int64_t i = 0; i < g; ++i) {
        tree.local_up[static_cast<std::size_t>(gpu(n, i))] = b.link(gpu(n, i), sw, *s.intra_node, "nvlink");
        tree.local_down[static_cast<std::size_t>(gpu(n, i))] = b.link(sw, gpu(n, i), *s.intra_node, "nvlink");
      }
    }
  }
  // Two tiers: one spine over every leaf. Three: a spine per pod, one core over the pods.
  const auto top = b.switch_node(three_tier ? "core" : "spine");
  std::vector<std::int32_t> pod_spine;
  std::vector<std::int32_t> leaf_node;  // [group * rails + rail]
  for (std::int64_t p = 0; p < shape.pods; ++p) {
    std::int32_t parent = top;
    std::int32_t pod_up = -1, pod_down = -1;
    if (three_tier) {
      parent = b.switch_node(fmt::format("pod{}.spine", p));
      pod_spine.push_back(parent);
      // Non-blocking above the leaves: the pod's uplink carries what its leaves' uplinks carry.
      const BytesPerSecond up = s.nic.bandwidth * (static_cast<double>(npp * g) / s.oversubscription);
      pod_up = b.link(parent, top, up, s.switch_latency, "spine-core");
      pod_down = b.link(top, parent, up, s.switch_latency, "spine-core");
    }
    for (std::int64_t u = 0; u < shape.gpp; ++u) {
      const std::int64_t q = p * shape.gpp + u;
      for (std::int64_t r = 0; r < rails; ++r) {
        std::vector<std::int32_t> down;
        for (std::int64_t t = 0; t < s.nodes_per_leaf; ++t) {
          const auto n = shape.node(p, u, t);
          if (s.rail_optimized) down.push_back(gpu(n, r));
          else
            for (std::int64_t i = 0; i < g; ++i) down.push_back(gpu(n, i));
        }
        const auto leaf = b.switch_node(s.rail_optimized ? fmt::format("leaf.rail{}.{}", r, q) : fmt::format("leaf{}", q));
        leaf_node.push_back(leaf);
        for (const auto e : down) {
          tree.up[slot(e, 0)] = b.link(e, leaf, s.nic, "nic");
          tree.down[slot(e, 0)] = b.link(leaf, e, s.nic, "nic");
          tree.ancestor[slot(e, 0)] = leaf;
        }
        const BytesPerSecond up = s.nic.bandwidth * (static_cast<double>(down.size()) / s.oversubscription);
        const auto leaf_up = b.link(leaf, parent, up, s.switch_latency, "leaf-spine");
        const auto leaf_down = b.link(parent, leaf, up, s.switch_latency, "leaf-spine");
        for (const auto e : down) {
          tree.up[slot(e, 1)] = leaf_up;
          tree.down[slot(e, 1)] = leaf_down;
          tree.ancestor[slot(e, 1)] = parent;
          if (three_tier) {
            tree.up[slot(e, 2)] = pod_up;
            tree.down[slot(e, 2)] = pod_down;
            tree.ancestor[slot(e, 2)] = top;
          }
        }
      }
    }
  }
  // Symmetries: cyclic shifts of the slot under a leaf, of the group in a pod, of the pod,
  // and of the GPU index (with the rails' leaves, when rail-optimized). Each maps links onto
  // equal links and tree paths onto tree paths (Topology and net/symmetry.hpp check both).
  const auto node_count = b.parts().nodes.size();
  const auto shift = [&](std::int64_t dp, std::int64_t du, std::int64_t dt, std::int64_t di, std::int64_t order) {
    if (order < 2) return;
    SymmetryGenerator gen;
    gen.order = order;
    gen.node_map.resize(node_count);
    for (std::size_t v = 0; v < node_count; ++v) gen.node_map[v] = static_cast<std::int32_t>(v);
    const auto image = [&](std::int64_t n) {
      const std::int64_t t = n % shape.npl, u = (n / shape.npl) % shape.gpp, p = n / (shape.npl * shape.gpp);
      return shape.node((p + dp) % shape.pods, (u + du) % shape.gpp, (t + dt) % shape.npl);
    };
    for (std::int64_t n = 0; n < s.nodes; ++n) {
      for (std::int64_t i = 0; i < g; ++i) gen.node_map[static_cast<std::size_t>(gpu(n, i))] = gpu(image(n), (i + di) % g);
      if (!nvswitch_node.empty())
        gen.node_map[static_cast<std::size_t>(nvswitch_node[static_cast<std::size_t>(n)])] = nvswitch_node[static_cast<std::size_t>(image(n))];
    }
    for (std::int64_t p = 0; p < shape.pods; ++p) {
      if (three_tier) gen.node_map[static_cast<std::size_t>(pod_spine[static_cast<std::size_t>(p)])] = pod_spine[static_cast<std::size_t>((p + dp) % shape.pods)];
      for (std::int64_t u = 0; u < shape.gpp; ++u)
        for (std::int64_t r = 0; r < rails; ++r) {
          const auto q = p * shape.gpp + u;
          const auto q2 = ((p + dp) % shape.pods) * shape.gpp + (u + du) % shape.gpp;
          gen.node_map[static_cast<std::size_t>(leaf_node[static_cast<std::size_t>(q * rails + r)])] =
              leaf_node[static_cast<std::size_t>(q2 * rails + (r + di) % rails)];
        }
    }
    b.parts().symmetries.push_back(std::move(gen));
  };
  shift(0, 0, 1, 0, shape.npl);
  shift(0, 1, 0, 0, shape.gpp);
  shift(1, 0, 0, 0, shape.pods);
  shift(0, 0, 0, 1, g);
  b.parts().endpoints_per_node = g;
  b.parts().tree = std::move(tree);
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
  // Symmetries: translations along each dimension by 1 (odd size) or 2 (even size: the
  // half-way rule of dimension-order routing depends on the parity of the coordinate, which a
  // step of 2 keeps), and rotation of the cores of every chip.
  const auto node_count = b.parts().nodes.size();
  const auto epc = s.endpoints_per_chip;
  const auto translate = [&](const std::vector<std::int64_t>& step, std::int64_t core_step, std::int64_t order) {
    if (order < 2) return;
    SymmetryGenerator gen{std::vector<std::int32_t>(node_count), order};
    for (std::int64_t c = 0; c < chips; ++c) {
      std::int64_t image = 0, st = 1, rest = c;
      for (std::size_t dim = 0; dim < s.dims.size(); ++dim) {
        const auto k = s.dims[dim];
        image += ((rest % k + step[dim]) % k) * st;
        rest /= k;
        st *= k;
      }
      gen.node_map[static_cast<std::size_t>(t.chip_nodes[static_cast<std::size_t>(c)])] = t.chip_nodes[static_cast<std::size_t>(image)];
      for (std::int64_t e = 0; e < epc; ++e)
        gen.node_map[static_cast<std::size_t>(c * epc + e)] = static_cast<std::int32_t>(image * epc + (e + core_step) % epc);
    }
    b.parts().symmetries.push_back(std::move(gen));
  };
  for (std::size_t dim = 0; dim < s.dims.size(); ++dim) {
    std::vector<std::int64_t> step(s.dims.size(), 0);
    const auto k = s.dims[dim];
    step[dim] = k % 2 == 0 ? 2 : 1;
    translate(step, 0, k % 2 == 0 ? k / 2 : k);
  }
  translate(std::vector<std::int64_t>(s.dims.size(), 0), 1, epc);
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
    index[n.name] = n.endpoint ? b.endpoint(n.name, n.forwards) : b.switch_node(n.name);
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

TopologyParts build_parts(const config::TopologySpec& spec, const std::string& file, const std::string& pointer) {
  struct Visitor {
    const std::string& file;
    const std::string& pointer;
    TopologyParts operator()(const config::NvSwitchSpec& s) const { return nvswitch(s); }
    TopologyParts operator()(const config::FatTreeSpec& s) const {
      if (s.nodes_per_leaf < 1 || s.nodes % s.nodes_per_leaf != 0)
        throw config::ConfigError(file, pointer + "/nodes_per_leaf", "must divide nodes");
      if (s.nodes_per_pod < 0 || (s.nodes_per_pod > 0 && (s.nodes_per_pod % s.nodes_per_leaf != 0 || s.nodes % s.nodes_per_pod != 0)))
        throw config::ConfigError(file, pointer + "/nodes_per_pod", "must be a multiple of nodes_per_leaf that divides nodes");
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
  return std::visit(Visitor{file, pointer}, spec);
}

Topology build_topology(const config::TopologySpec& spec, const std::string& file, RoutingOptions routing,
                        const std::string& pointer) {
  if (const auto* e = std::get_if<config::EdgeListSpec>(&spec)) routing.ecmp = routing.ecmp || e->ecmp;
  return Topology(build_parts(spec, file, pointer), file, pointer, routing);
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
