#include "net/concurrent.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "engine/event_queue.hpp"
#include "net/network.hpp"

namespace switchsim::net {
namespace {

ConcurrentResult plain(const topology::Topology& topo, std::span<const CollectiveSpec> specs, bool seal) {
  engine::EventQueue queue;
  NetworkOptions network_options;
  network_options.seal_symmetric_rounds = seal;
  Network network(topo, queue, network_options);
  std::size_t finished = 0;
  Picoseconds end{0};
  ConcurrentResult result;
  for (const auto& spec : specs) {
    run_collective(network, spec, [&] {
      ++finished;
      end = std::max(end, queue.now());
    });
  }
  queue.run();
  if (finished != specs.size()) throw std::logic_error("a collective did not finish");
  result.time = end;
  result.peak_utilization = network.peak_utilization();
  result.solves = network.solves();
  result.solved_entries = network.solved_entries();
  result.rate_changes = network.rate_changes();
  return result;
}

// Each repeated run simulated once; nullopt when the groups do not end a round together.
std::optional<ConcurrentResult> collapsed(const topology::Topology& topo,
                                          const std::vector<std::vector<RoundRun>>& schedules, bool symmetry) {
  const auto& first = schedules.front();
  for (const auto& s : schedules) {
    if (s.size() != first.size()) return std::nullopt;
    for (std::size_t j = 0; j < s.size(); ++j)
      if (s[j].count != first[j].count) return std::nullopt;
  }
  engine::EventQueue queue;
  NetworkOptions network_options;
  network_options.symmetric_classes = symmetry;  // without symmetry reduction, flow by flow, exactly
  Network network(topo, queue, network_options);
  ConcurrentResult result;
  result.collapsed = true;
  result.peak_utilization.assign(topo.links().size(), 0.0);
  std::vector<std::optional<Picoseconds>> ended(schedules.size());
  for (std::size_t j = 0; j < first.size(); ++j) {
    if (symmetry) {  // one variable per class of equivalent flows (net/symmetry.hpp)
      std::optional<ReducedRound> reduced;
      if (schedules.size() == 1 && schedules[0][j].pairs) {
        reduced = reduce_round(topo, {}, &*schedules[0][j].pairs);
      } else {
        std::vector<Flow> all;
        for (const auto& s : schedules) {
          auto flows = round_flows(s[j]);
          all.insert(all.end(), flows.begin(), flows.end());
        }
        reduced = reduce_round(topo, all);
      }
      if (reduced) {
        const auto timing = time_reduced_round(topo, *reduced);
        // Several groups: the shortcut needs every group to end the round together, which
        // holds when every flow is delivered at the same instant.
        if (schedules.size() == 1 || timing.simultaneous) {
          result.time = result.time + timing.duration * first[j].count;
          for (std::size_t l = 0; l < timing.peak_utilization.size(); ++l)
            result.peak_utilization[l] = std::max(result.peak_utilization[l], timing.peak_utilization[l]);
          result.solves += timing.solves;
          ++result.reduced_rounds;
          continue;
        }
      }
    }
    const Picoseconds start = queue.now();
    for (std::size_t g = 0; g < schedules.size(); ++g) {
      ended[g].reset();
      network.transfer(round_flows(schedules[g][j]), [&ended, &queue, g] { ended[g] = queue.now(); });
    }
    queue.run();
    for (const auto& e : ended)
      if (!e || *e != *ended.front()) return std::nullopt;
    if (network.active_flows() != 0) throw std::logic_error("flows left after every round was delivered");
    const Picoseconds round = *ended.front() - start;
    result.time = result.time + round * first[j].count;
  }
  for (std::size_t l = 0; l < result.peak_utilization.size(); ++l)
    result.peak_utilization[l] = std::max(result.peak_utilization[l], network.peak_utilization()[l]);
  result.solves += network.solves();
  result.solved_entries = network.solved_entries();
  result.rate_changes = network.rate_changes();
  return result;
}

}  // namespace

ConcurrentResult concurrent_collectives_time(const topology::Topology& topo, std::span<const CollectiveSpec> specs,
                                             ConcurrentOptions options) {
  if (options.collapse_repeated_rounds) {
    std::vector<std::vector<RoundRun>> schedules;
    for (const auto& spec : specs) {
      auto runs = collective_round_runs(topo, spec);
      // A group with nothing to move (one rank) finishes at the start: it cannot be last.
      if (!runs.empty()) schedules.push_back(std::move(runs));
    }
    if (schedules.empty()) return ConcurrentResult{Picoseconds(0), std::vector<double>(topo.links().size(), 0.0), 0, true};
    if (auto r = collapsed(topo, schedules, options.symmetry_reduction)) return *r;
  }
  // Without the shortcuts (checking), every round flow by flow.
  return plain(topo, specs, options.seals_rounds());
}

}  // namespace switchsim::net
