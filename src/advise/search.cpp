#include "advise/search.hpp"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <variant>

#include "model/model_stats.hpp"

namespace switchsim::advise {

std::string family_model(const config::Catalog& catalog, const std::string& family) {
  std::string first;
  for (const auto& name : catalog.model_names()) {
    if (name.rfind(family + "-", 0) != 0) continue;
    const std::string suffix = name.substr(family.size() + 1);
    if (suffix.empty() || suffix.find_first_not_of("0123456789") != std::string::npos) continue;
    if (suffix == "128") return name;
    if (first.empty()) first = name;
  }
  if (first.empty())
    throw std::invalid_argument("--family " + family + ": no shipped model named " + family + "-<experts> in " +
                                (catalog.data_dir() / "models").string());
  return first;
}

config::ClusterConfig first_devices(const config::ClusterConfig& cluster, std::int64_t devices) {
  if (devices == cluster.devices) return cluster;
  if (devices <= 0 || devices > cluster.devices)
    throw std::invalid_argument(fmt::format("--devices {}: the cluster {} has {} devices", devices, cluster.name,
                                            cluster.devices));
  auto out = cluster;
  out.devices = devices;
  out.name = fmt::format("{}-first-{}", cluster.name, devices);
  if (auto* s = std::get_if<config::NvSwitchSpec>(&out.topology)) {
    s->endpoints = devices;
  } else if (auto* f = std::get_if<config::FatTreeSpec>(&out.topology)) {
    if (devices % f->endpoints_per_node != 0)
      throw std::invalid_argument(fmt::format("--devices {}: must be whole nodes of {} devices", devices,
                                              f->endpoints_per_node));
    f->nodes = devices / f->endpoints_per_node;
    while (f->nodes % f->nodes_per_leaf != 0) --f->nodes_per_leaf;
  } else {
    throw std::invalid_argument("--devices: only nvswitch and fat-tree clusters can be cut down; write a cluster file");
  }
  return out;
}

std::int64_t devices_per_node(const config::ClusterConfig& cluster) {
  const auto& t = cluster.topology;
  if (const auto* f = std::get_if<config::FatTreeSpec>(&t)) return f->intra_node ? f->endpoints_per_node : 1;
  if (const auto* s = std::get_if<config::NvSwitchSpec>(&t)) return s->endpoints;
  if (const auto* s = std::get_if<config::TorusSpec>(&t)) return s->endpoints_per_chip;
  return 1;
}

std::vector<model::ParallelLayout> candidate_layouts(std::int64_t devices, std::int64_t node, std::int64_t experts,
                                                     const std::vector<std::int64_t>& tensor_parallel) {
  std::vector<model::ParallelLayout> layouts;
  for (std::int64_t tp : tensor_parallel) {
    if (node % tp != 0 || devices % tp != 0) continue;
    const std::int64_t dp = devices / tp;
    for (std::int64_t ep = dp; ep >= 1; --ep) {
      const bool power_of_two = (ep & (ep - 1)) == 0;
      if (!power_of_two || dp % ep != 0 || experts % ep != 0) continue;
      layouts.push_back({dp, tp, ep});
    }
  }
  return layouts;
}

namespace {

void judge(Candidate& c, const sweep::PointOutcome& out, const Limits& limits, const SampleEfficiency* efficiency) {
  if (!out.result || !out.inputs) {
    c.rejected = "invalid: " + out.invalid_reason;
    c.rejected_kind = "invalid";
    return;
  }
  const auto& r = *out.result;
  c.simulated = true;
  c.step_time_s = r.step_time.seconds();
  c.params = model::compute_stats(out.inputs->model).params_total;
  c.memory_used_bytes = static_cast<double>(r.memory.total().count());
  c.memory_capacity_bytes = static_cast<double>(r.memory.capacity.count());
  c.headroom_frac = c.memory_capacity_bytes > 0 ? 1.0 - c.memory_used_bytes / c.memory_capacity_bytes : 0.0;
  c.dropped_token_frac = r.dropped_token_frac;
  for (const char* phase : {"alltoall_dispatch", "alltoall_combine"})
    if (auto it = r.phase_time.find(phase); it != r.phase_time.end()) c.alltoall_time_s += it->second.seconds();
  c.alltoall_share = c.step_time_s > 0 ? c.alltoall_time_s / c.step_time_s : 0.0;
  c.dense_step_time_s = out.dense_baseline_step_time_s;
  if (efficiency) {
    c.steps_to_quality = efficiency->steps_to_quality(c.experts, c.top_k);
    if (c.steps_to_quality) c.time_to_quality_s = *c.steps_to_quality * c.step_time_s;
  }
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  if (r.memory.oom()) {
    c.rejected = fmt::format("out of memory: needs {:.1f} GiB of {:.1f} GiB", c.memory_used_bytes / kGiB,
                             c.memory_capacity_bytes / kGiB);
    c.rejected_kind = "out of memory";
  } else if (c.headroom_frac < limits.memory_headroom) {
    c.rejected = fmt::format("only {:.1f}% of device memory free, below the {:.0f}% headroom", 100 * c.headroom_frac,
                             100 * limits.memory_headroom);
    c.rejected_kind = "below memory headroom";
  } else if (c.dropped_token_frac > limits.max_drop_frac) {
    c.rejected = fmt::format("drops {:.2f}% of tokens, above the {:.2f}% limit", 100 * c.dropped_token_frac,
                             100 * limits.max_drop_frac);
    c.rejected_kind = "too many dropped tokens";
  }
}

}  // namespace

std::vector<Candidate> search(const SearchSpec& spec, const Limits& limits, const SampleEfficiency* efficiency,
                              const config::Catalog& catalog, const sweep::CommFactory& make_comm, int threads,
                              const sweep::ProgressFn& progress) {
  const auto cluster = catalog.cluster(spec.cluster);
  const std::int64_t node = devices_per_node(cluster);

  sweep::Grid grid;
  grid.base.batch_tokens = spec.batch_tokens;
  grid.base.routing = spec.routing;
  grid.base.padding = spec.padding;
  grid.base.dispatch = spec.dispatch;
  grid.base.group_size = spec.group_size;
  grid.base.remat = spec.remat;
  grid.base.seed = spec.seed;
  grid.models = {spec.model};
  grid.clusters = {spec.cluster};
  grid.batch_tokens = {spec.batch_tokens};
  grid.routings = {spec.routing};
  grid.paddings = {spec.padding};
  grid.top_ks = spec.top_ks;
  grid.experts = spec.experts;
  grid.capacity_factors = spec.capacity_factors;
  // The union of every expert count's layouts; points whose ep does not fit their expert
  // count are left out below rather than simulated as invalid.
  std::map<std::string, model::ParallelLayout> by_text;
  grid.layouts.clear();
  for (auto e : spec.experts)
    for (const auto& l : candidate_layouts(cluster.devices, node, e, spec.tensor_parallel))
      if (by_text.emplace(l.text(), l).second) grid.layouts.push_back(l.text());
  if (grid.layouts.empty())
    throw std::invalid_argument(fmt::format(
        "no parallel layout fits: {} devices ({} a node) admit no tp of the {} tried that divides the node",
        cluster.devices, node, spec.tensor_parallel.size()));

  std::vector<std::int64_t> indices;
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const auto s = grid.point(i);
    const auto& l = by_text.at(s.layout);
    if (s.experts && *s.experts % l.ep == 0) indices.push_back(i);
  }
  const auto outcomes = sweep::run_points(grid, indices, catalog, make_comm, threads, progress);
  std::vector<Candidate> candidates;
  candidates.reserve(outcomes.size());
  for (std::size_t k = 0; k < outcomes.size(); ++k) {
    const auto& out = outcomes[k];
    Candidate c;
    c.index = static_cast<std::int64_t>(k);
    c.scenario = out.scenario;
    c.experts = out.scenario.experts.value_or(0);
    c.top_k = out.scenario.top_k.value_or(1);
    c.capacity_factor = out.scenario.capacity_factor.value_or(1.0);
    c.layout = out.scenario.layout;
    judge(c, out, limits, efficiency);
    candidates.push_back(std::move(c));
  }
  return candidates;
}

}  // namespace switchsim::advise
