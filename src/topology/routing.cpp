// Route computation for Topology: shortest paths (hops, then latency) with optional ECMP,
// and dimension-order routing on tori. See topology.hpp for the rules.

#include <fmt/format.h>

#include <algorithm>

#include "topology/topology.hpp"

namespace switchsim::topology {

namespace {
// ECMP enumerates paths; past this many per pair the topology is not what ECMP here is for.
constexpr std::size_t kMaxEcmpPaths = 4096;
}  // namespace

// Reverse breadth-first search from dst_node, level by level: a node's hop count is final
// when first reached, and its latency is the least over the predecessors of the level
// above, all of which are settled before the next level expands. Only dst and forwarding
// nodes are expanded (a path may not pass through a non-forwarding endpoint).
const Topology::Distances& Topology::distances_to(std::int32_t dst_node) const {
  auto it = distances_.find(dst_node);
  if (it != distances_.end()) return it->second;
  Distances d;
  d.hops.assign(nodes_.size(), -1);
  d.latency_ps.assign(nodes_.size(), 0);
  std::vector<std::int32_t> level{dst_node};
  std::vector<std::int32_t> next;
  d.hops[static_cast<std::size_t>(dst_node)] = 0;
  for (std::int32_t depth = 0; !level.empty(); ++depth) {
    next.clear();
    for (const std::int32_t v : level) {
      if (v != dst_node && !nodes_[static_cast<std::size_t>(v)].forwards) continue;
      for (auto [e, end] = boost::in_edges(static_cast<std::size_t>(v), graph_); e != end; ++e) {
        const auto u = static_cast<std::size_t>(boost::source(*e, graph_));
        const Link& link = links_[static_cast<std::size_t>(graph_[*e].link)];
        const std::int64_t latency = d.latency_ps[static_cast<std::size_t>(v)] + link.latency.count();
        if (d.hops[u] == -1) {
          d.hops[u] = depth + 1;
          d.latency_ps[u] = latency;
          next.push_back(static_cast<std::int32_t>(u));
        } else if (d.hops[u] == depth + 1 && latency < d.latency_ps[u]) {
          d.latency_ps[u] = latency;
        }
      }
    }
    std::swap(level, next);
  }
  return distances_.emplace(dst_node, std::move(d)).first->second;
}

void Topology::add_path(std::span<const std::int32_t> links, double fraction) const {
  RoutePath p;
  p.first_link = static_cast<std::int64_t>(path_links_.size());
  p.link_count = static_cast<std::int32_t>(links.size());
  p.fraction = fraction;
  for (const std::int32_t l : links) {
    path_links_.push_back(l);
    p.latency += links_[static_cast<std::size_t>(l)].latency;
  }
  if (!dominated_.empty()) {
    p.first_split = static_cast<std::int64_t>(split_links_.size());
    for (const std::int32_t l : links)
      if (!dominated(l)) split_links_.push_back(l);
    p.binding_count = static_cast<std::int32_t>(split_links_.size() - static_cast<std::size_t>(p.first_split));
    for (const std::int32_t l : links)
      if (dominated(l)) split_links_.push_back(l);
  }
  paths_.push_back(p);
}

// Depth-first walk along equal-cost next hops; with ECMP off only the first (lowest link id).
void Topology::shortest_paths(std::int32_t node, std::int32_t dst_node, const Distances& d,
                              std::vector<std::int32_t>& prefix, double fraction, Picoseconds latency) const {
  if (node == dst_node) {
    add_path(prefix, fraction);
    return;
  }
  const auto u = static_cast<std::size_t>(node);
  // Sized by compute_route for the whole walk: resizing here would move the vectors of the
  // callers' frames while they iterate over them.
  std::vector<std::int32_t>& next_links = next_hops_.at(prefix.size());
  next_links.clear();
  for (auto [e, end] = boost::out_edges(u, graph_); e != end; ++e) {
    const auto v = static_cast<std::size_t>(boost::target(*e, graph_));
    const std::int32_t l = graph_[*e].link;
    if (d.hops[v] != d.hops[u] - 1) continue;
    if (d.latency_ps[v] + links_[static_cast<std::size_t>(l)].latency.count() != d.latency_ps[u]) continue;
    if (static_cast<std::int32_t>(v) != dst_node && !nodes_[v].forwards) continue;
    next_links.push_back(l);
  }
  if (next_links.empty()) throw std::logic_error("routing: no next hop on a shortest path");
  std::sort(next_links.begin(), next_links.end());
  if (!routing_.ecmp) next_links.erase(next_links.begin() + 1, next_links.end());
  const double share = fraction / static_cast<double>(next_links.size());
  for (const std::int32_t l : next_links) {
    prefix.push_back(l);
    const Link& link = links_[static_cast<std::size_t>(l)];
    shortest_paths(link.to, dst_node, d, prefix, share, latency + link.latency);
    prefix.pop_back();
  }
}

void Topology::dimension_order_path(std::int32_t src, std::int32_t dst) const {
  const TorusLayout& t = *torus_;
  const auto chip_of = [&](std::int32_t endpoint) { return static_cast<std::int64_t>(endpoint) / t.endpoints_per_chip; };
  std::vector<std::int32_t> links;
  links.reserve(8);
  links.push_back(t.endpoint_up[static_cast<std::size_t>(src)]);
  std::int64_t chip = chip_of(src);
  const std::int64_t target = chip_of(dst);
  // Row-major with dimension 0 fastest: coordinate d = (chip / stride_d) % dims[d].
  std::int64_t stride = 1;
  for (std::size_t dim = 0; dim < t.dims.size(); ++dim) {
    const std::int64_t k = t.dims[dim];
    const std::int64_t from = (chip / stride) % k;
    const std::int64_t to = (target / stride) % k;
    const std::int64_t forward = ((to - from) % k + k) % k;
    const std::int64_t backward = k - forward;
    if (forward != 0) {
      const bool plus = forward < backward || (forward == backward && from % 2 == 0);
      const std::int64_t steps = plus ? forward : backward;
      std::int64_t coord = from;
      for (std::int64_t s = 0; s < steps; ++s) {
        const auto index = static_cast<std::size_t>((chip * 3 + static_cast<std::int64_t>(dim)) * 2 + (plus ? 0 : 1));
        const std::int32_t l = t.chip_links[index];
        if (l < 0) throw std::logic_error("torus routing: missing link");
        links.push_back(l);
        const std::int64_t next = plus ? (coord + 1) % k : (coord + k - 1) % k;
        chip += (next - coord) * stride;
        coord = next;
      }
    }
    stride *= k;
  }
  links.push_back(t.endpoint_down[static_cast<std::size_t>(dst)]);
  add_path(links, 1.0);
}

// Up to the lowest common ancestor and down again; inside a node, the local switch when it
// is the shorter path (or, on a tie in hops and latency, has the lower first link id; with
// ECMP a tie splits the flow evenly between the two).
void Topology::tree_path(std::int32_t src, std::int32_t dst) const {
  const TreeLayout& t = *tree_;
  const auto L = static_cast<std::size_t>(t.levels);
  const auto s = static_cast<std::size_t>(src) * L;
  const auto d = static_cast<std::size_t>(dst) * L;
  std::size_t k = 0;
  while (k < L && t.ancestor[s + k] != t.ancestor[d + k]) ++k;
  if (k == L) throw std::logic_error("tree routing: no common ancestor");
  std::int32_t tree_links[16];
  std::size_t count = 0;
  for (std::size_t i = 0; i <= k; ++i) tree_links[count++] = t.up[s + i];
  for (std::size_t i = k + 1; i-- > 0;) tree_links[count++] = t.down[d + i];
  const std::span<const std::int32_t> tree{tree_links, count};
  if (t.endpoints_per_local == 0 || src / t.endpoints_per_local != dst / t.endpoints_per_local) {
    add_path(tree, 1.0);
    return;
  }
  const std::int32_t local_links[2] = {t.local_up[static_cast<std::size_t>(src)], t.local_down[static_cast<std::size_t>(dst)]};
  const std::span<const std::int32_t> local{local_links, 2};
  const auto latency = [&](std::span<const std::int32_t> p) {
    std::int64_t sum = 0;
    for (const auto l : p) sum += links_[static_cast<std::size_t>(l)].latency.count();
    return sum;
  };
  const auto cost_tree = std::make_pair(count, latency(tree));
  const auto cost_local = std::make_pair(std::size_t{2}, latency(local));
  if (cost_tree == cost_local && routing_.ecmp) {
    if (local.front() < tree.front()) {
      add_path(local, 0.5);
      add_path(tree, 0.5);
    } else {
      add_path(tree, 0.5);
      add_path(local, 0.5);
    }
    return;
  }
  const bool local_wins = cost_local < cost_tree || (cost_local == cost_tree && local.front() < tree.front());
  add_path(local_wins ? local : tree, 1.0);
}

RouteRef Topology::compute_route(std::int32_t src, std::int32_t dst) const {
  RouteRef ref;
  ref.first_path = static_cast<std::int64_t>(paths_.size());
  if (src == dst) return ref;
  if (torus_) {
    dimension_order_path(src, dst);
  } else if (tree_) {
    tree_path(src, dst);
  } else {
    std::vector<std::int32_t> prefix;
    const auto src_node = endpoint_node(src);
    const auto dst_node = endpoint_node(dst);
    const Distances& to_dst = distances_to(dst_node);
    const auto hops = to_dst.hops[static_cast<std::size_t>(src_node)];
    if (hops < 0) throw std::logic_error("routing: the destination is unreachable");
    if (next_hops_.size() < static_cast<std::size_t>(hops)) next_hops_.resize(static_cast<std::size_t>(hops));
    shortest_paths(src_node, dst_node, to_dst, prefix, 1.0, Picoseconds(0));
  }
  ref.path_count = static_cast<std::int32_t>(static_cast<std::int64_t>(paths_.size()) - ref.first_path);
  if (static_cast<std::size_t>(ref.path_count) > kMaxEcmpPaths)
    throw std::runtime_error(fmt::format("routing: {} equal-cost paths between endpoints {} and {} (limit {})",
                                         ref.path_count, src, dst, kMaxEcmpPaths));
  return ref;
}

}  // namespace switchsim::topology
