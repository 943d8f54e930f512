#include "net/class_paths.hpp"

#include <algorithm>

#include "net/symmetry.hpp"

namespace switchsim::net {

ClassPaths::ClassPaths(const topology::Topology& topo) : topo_(topo) {}

std::optional<std::int32_t> ClassPaths::group(const std::vector<std::size_t>& generators) {
  if (const auto it = group_index_.find(generators); it != group_index_.end()) return it->second;
  auto& slot = group_index_[generators];
  const topology::Symmetry* sym = topo_.symmetry();
  if (!sym || generators.empty()) return slot = std::nullopt;
  ClassGroup g;
  g.generators = generators;
  for (const auto k : generators) g.order *= sym->generator_order[k];
  g.endpoint_rep = orbits_of(static_cast<std::size_t>(topo_.endpoint_count()), sym->endpoint_maps, generators);
  std::vector<std::int64_t> size(g.endpoint_rep.size(), 0);
  for (const auto r : g.endpoint_rep) ++size[static_cast<std::size_t>(r)];
  for (std::size_t e = 0; e < size.size(); ++e)
    if (g.endpoint_rep[e] == static_cast<std::int32_t>(e) && size[e] != g.order) return slot = std::nullopt;  // not free
  g.link_rep = orbits_of(topo_.links().size(), sym->link_maps, generators);
  g.orbit_links.resize(g.link_rep.size());
  for (std::size_t l = 0; l < g.link_rep.size(); ++l)
    g.orbit_links[static_cast<std::size_t>(g.link_rep[l])].push_back(static_cast<std::int32_t>(l));
  groups_.push_back(std::move(g));
  path_index_.emplace_back();
  return slot = static_cast<std::int32_t>(groups_.size() - 1);
}

std::optional<std::int64_t> ClassPaths::path(std::int32_t group, std::int32_t src, std::int32_t dst) {
  auto& index = path_index_[static_cast<std::size_t>(group)];
  const auto key = (static_cast<std::int64_t>(src) << 32) | static_cast<std::uint32_t>(dst);
  if (const auto it = index.find(key); it != index.end()) return it->second;
  auto& slot = index[key];
  const ClassGroup& g = groups_[static_cast<std::size_t>(group)];
  const auto route = topo_.route(src, dst);
  if (route.path_count != 1 || !equivariant(topo_, *topo_.symmetry(), g.generators, src, dst)) return slot = std::nullopt;
  ClassPath p;
  p.group = group;
  p.src = src;
  p.dst = dst;
  p.route_path = route.first_path;
  const auto& rp = topo_.path(route.first_path);
  p.latency = rp.latency;
  for (const auto l : topo_.links_of(rp)) p.links.push_back(g.link_rep[static_cast<std::size_t>(l)]);
  std::sort(p.links.begin(), p.links.end());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < p.links.size(); ++i) {
    const auto orbit = static_cast<double>(g.orbit_links[static_cast<std::size_t>(p.links[i])].size());
    if (kept > 0 && p.links[kept - 1] == p.links[i]) {
      p.per_flow[kept - 1] += 1.0 / orbit;
    } else {
      p.links[kept++] = p.links[i];
      p.per_flow.push_back(1.0 / orbit);
    }
  }
  p.links.resize(kept);
  paths_.push_back(std::move(p));
  return slot = -static_cast<std::int64_t>(paths_.size());
}

void ClassPaths::for_each_image(const std::vector<std::size_t>& generators, std::int32_t src, std::int32_t dst,
                                const std::function<void(std::int32_t, std::int32_t)>& visit) const {
  const topology::Symmetry& sym = *topo_.symmetry();
  // An odometer over the exponents: stepping digit k applies generator k once; a digit that
  // wraps has applied its generator order(k) times, the identity, and carries.
  std::vector<std::int64_t> digit(generators.size(), 0);
  std::int32_t s = src, d = dst;
  while (true) {
    visit(s, d);
    std::size_t k = 0;
    for (; k < generators.size(); ++k) {
      const auto& map = sym.endpoint_maps[generators[k]];
      s = map[static_cast<std::size_t>(s)];
      d = map[static_cast<std::size_t>(d)];
      if (++digit[k] < sym.generator_order[generators[k]]) break;
      digit[k] = 0;
    }
    if (k == generators.size()) return;
  }
}

}  // namespace switchsim::net
