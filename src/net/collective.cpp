#include "net/collective.hpp"

#include "net/concurrent.hpp"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>

namespace switchsim::net {
namespace {

Bytes ceil_div(Bytes b, std::int64_t k) { return Bytes((b.count() + k - 1) / k); }

// Built as runs: a ring step repeated s times is one RoundRun of count s (not s copies).
using Rounds = std::vector<RoundRun>;

struct Context {
  const std::vector<std::int32_t>& ranks;
  std::int64_t n;
  std::int32_t at(std::int64_t rank) const { return ranks[static_cast<std::size_t>(rank)]; }
};

// Bytes rank i sends rank j: the matrix for alltoallv, S/n otherwise.
Bytes pair_bytes(const CollectiveSpec& spec, std::int64_t n, std::int64_t i, std::int64_t j) {
  if (spec.op == CollectiveOp::alltoallv) return spec.matrix[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  return ceil_div(spec.bytes_per_rank, n);
}

// Every ordered pair, the same bytes each: kept implicit (net/symmetry.hpp's AllPairs).
void all_pairs(const Context& c, Rounds& rounds, Bytes bytes) {
  RoundRun run;
  run.pairs = AllPairs{c.ranks, bytes};
  rounds.push_back(std::move(run));
}

void all_pairs(const Context& c, Rounds& rounds, const std::function<Bytes(std::int64_t, std::int64_t)>& bytes) {
  std::vector<Flow> round;
  round.reserve(static_cast<std::size_t>(c.n * (c.n - 1)));
  for (std::int64_t i = 0; i < c.n; ++i)
    for (std::int64_t j = 0; j < c.n; ++j)
      if (i != j) round.push_back(Flow{c.at(i), c.at(j), bytes(i, j)});
  rounds.push_back(RoundRun{std::move(round), 1, std::nullopt});
}

// `steps` rounds in which every member of each ring sends `chunk` to its successor.
void ring_steps(const Context& c, const std::vector<std::vector<std::int64_t>>& rings, std::int64_t steps, Bytes chunk,
                Rounds& rounds) {
  if (steps < 1) return;
  std::vector<Flow> round;
  for (const auto& ring : rings) {
    const auto k = ring.size();
    if (k < 2) continue;
    for (std::size_t i = 0; i < k; ++i) round.push_back(Flow{c.at(ring[i]), c.at(ring[(i + 1) % k]), chunk});
  }
  // Every step moves the same chunk between the same neighbours: one round, `steps` times.
  rounds.push_back(RoundRun{std::move(round), steps, std::nullopt});
}

std::int64_t group_size(const topology::Topology& topo, const CollectiveSpec& spec, std::int64_t n) {
  std::int64_t g = spec.ranks_per_node;
  if (g == 0) {
    const auto inferred = topo.endpoints_per_node();
    if (!inferred) throw std::invalid_argument("hierarchical: the topology has no node level; give ranks_per_node");
    g = std::min(*inferred, n);
  }
  if (g < 1 || n % g != 0)
    throw std::invalid_argument(fmt::format("hierarchical: {} ranks per node does not divide {} ranks", g, n));
  return g;
}

void alltoall(const topology::Topology& topo, const CollectiveSpec& spec, const Context& c, Rounds& rounds) {
  const auto bytes = [&](std::int64_t i, std::int64_t j) { return pair_bytes(spec, c.n, i, j); };
  switch (spec.algorithm) {
    case Algorithm::direct:
      if (spec.op == CollectiveOp::alltoallv) all_pairs(c, rounds, bytes);
      else all_pairs(c, rounds, ceil_div(spec.bytes_per_rank, c.n));
      return;
    case Algorithm::pairwise:
      for (std::int64_t k = 1; k < c.n; ++k) {
        std::vector<Flow> round;
        for (std::int64_t i = 0; i < c.n; ++i) round.push_back(Flow{c.at(i), c.at((i + k) % c.n), bytes(i, (i + k) % c.n)});
        rounds.push_back(RoundRun{std::move(round), 1, std::nullopt});
      }
      return;
    case Algorithm::hierarchical: {
      const std::int64_t g = group_size(topo, spec, c.n);
      const std::int64_t m = c.n / g;
      std::vector<Flow> inner;
      std::vector<Flow> outer;
      for (std::int64_t a = 0; a < m; ++a)
        for (std::int64_t p = 0; p < g; ++p)
          for (std::int64_t q = 0; q < g; ++q) {
            if (p == q) continue;
            // (a,p) forwards to (a,q) everything it has for the ranks (b,q), b ≠ a.
            Bytes sum{0};
            for (std::int64_t b = 0; b < m; ++b) sum += bytes(a * g + p, b * g + q);
            inner.push_back(Flow{c.at(a * g + p), c.at(a * g + q), sum});
          }
      for (std::int64_t a = 0; a < m; ++a)
        for (std::int64_t b = 0; b < m; ++b) {
          if (a == b) continue;
          for (std::int64_t q = 0; q < g; ++q) {
            // (a,q) sends (b,q) what all of node a has for it.
            Bytes sum{0};
            for (std::int64_t p = 0; p < g; ++p) sum += bytes(a * g + p, b * g + q);
            outer.push_back(Flow{c.at(a * g + q), c.at(b * g + q), sum});
          }
        }
      if (!inner.empty()) rounds.push_back(RoundRun{std::move(inner), 1, std::nullopt});
      if (!outer.empty()) rounds.push_back(RoundRun{std::move(outer), 1, std::nullopt});
      return;
    }
    default:
      break;
  }
  throw std::invalid_argument(fmt::format("{} has no {} algorithm", to_string(spec.op), to_string(spec.algorithm)));
}

void tree_allreduce(const CollectiveSpec& spec, const Context& c, Rounds& rounds) {
  constexpr std::int64_t kChunks = 8;
  std::vector<std::int64_t> depth(static_cast<std::size_t>(c.n), 0);
  std::int64_t max_depth = 0;
  for (std::int64_t i = 1; i < c.n; ++i) {
    depth[static_cast<std::size_t>(i)] = depth[static_cast<std::size_t>((i - 1) / 2)] + 1;
    max_depth = std::max(max_depth, depth[static_cast<std::size_t>(i)]);
  }
  const Bytes chunk = ceil_div(spec.bytes_per_rank, kChunks);
  // Chunk k reaches the root (reduced) at round max_depth + k − 1 and starts down at max_depth + k.
  for (std::int64_t r = 0; r < 2 * max_depth + kChunks - 1; ++r) {
    std::vector<Flow> round;
    for (std::int64_t i = 1; i < c.n; ++i) {
      const std::int64_t d = depth[static_cast<std::size_t>(i)];
      const std::int64_t up = r - (max_depth - d);  // chunk node i sends its parent this round
      if (up >= 0 && up < kChunks) round.push_back(Flow{c.at(i), c.at((i - 1) / 2), chunk});
      const std::int64_t down = r - max_depth - (d - 1);  // chunk its parent sends it
      if (down >= 0 && down < kChunks) round.push_back(Flow{c.at((i - 1) / 2), c.at(i), chunk});
    }
    if (!round.empty()) rounds.push_back(RoundRun{std::move(round), 1, std::nullopt});
  }
}

void allreduce(const topology::Topology& topo, const CollectiveSpec& spec, const Context& c, Rounds& rounds) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(c.n));
  for (std::int64_t i = 0; i < c.n; ++i) all[static_cast<std::size_t>(i)] = i;
  const Bytes chunk = ceil_div(spec.bytes_per_rank, c.n);
  switch (spec.algorithm) {
    case Algorithm::ring:
      ring_steps(c, {all}, 2 * (c.n - 1), chunk, rounds);
      return;
    case Algorithm::direct:
      all_pairs(c, rounds, chunk);
      all_pairs(c, rounds, chunk);
      return;
    case Algorithm::tree:
      tree_allreduce(spec, c, rounds);
      return;
    case Algorithm::hierarchical: {
      const std::int64_t g = group_size(topo, spec, c.n);
      const std::int64_t m = c.n / g;
      std::vector<std::vector<std::int64_t>> nodes(static_cast<std::size_t>(m));
      std::vector<std::vector<std::int64_t>> rails(static_cast<std::size_t>(g));
      for (std::int64_t i = 0; i < c.n; ++i) {
        nodes[static_cast<std::size_t>(i / g)].push_back(i);
        rails[static_cast<std::size_t>(i % g)].push_back(i);
      }
      const Bytes inner = ceil_div(spec.bytes_per_rank, g);
      ring_steps(c, nodes, g - 1, inner, rounds);
      ring_steps(c, rails, 2 * (m - 1), ceil_div(inner, m), rounds);
      ring_steps(c, nodes, g - 1, inner, rounds);
      return;
    }
    default:
      break;
  }
  throw std::invalid_argument(fmt::format("allreduce has no {} algorithm", to_string(spec.algorithm)));
}

}  // namespace

std::string to_string(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::alltoall: return "alltoall";
    case CollectiveOp::alltoallv: return "alltoallv";
    case CollectiveOp::allreduce: return "allreduce";
    case CollectiveOp::allgather: return "allgather";
    case CollectiveOp::reducescatter: return "reducescatter";
  }
  return "?";
}

std::string to_string(Algorithm a) {
  switch (a) {
    case Algorithm::direct: return "direct";
    case Algorithm::pairwise: return "pairwise";
    case Algorithm::hierarchical: return "hierarchical";
    case Algorithm::ring: return "ring";
    case Algorithm::tree: return "tree";
  }
  return "?";
}

std::optional<CollectiveOp> parse_op(const std::string& name) {
  for (auto op : {CollectiveOp::alltoall, CollectiveOp::alltoallv, CollectiveOp::allreduce, CollectiveOp::allgather,
                  CollectiveOp::reducescatter})
    if (to_string(op) == name) return op;
  return std::nullopt;
}

std::optional<Algorithm> parse_algorithm(const std::string& name) {
  for (auto a : {Algorithm::direct, Algorithm::pairwise, Algorithm::hierarchical, Algorithm::ring, Algorithm::tree})
    if (to_string(a) == name) return a;
  return std::nullopt;
}

std::vector<Algorithm> algorithms_for(CollectiveOp op) {
  switch (op) {
    case CollectiveOp::alltoall:
    case CollectiveOp::alltoallv: return {Algorithm::direct, Algorithm::pairwise, Algorithm::hierarchical};
    case CollectiveOp::allreduce: return {Algorithm::direct, Algorithm::hierarchical, Algorithm::ring, Algorithm::tree};
    case CollectiveOp::allgather:
    case CollectiveOp::reducescatter: return {Algorithm::direct, Algorithm::ring};
  }
  return {};
}

double bus_factor(CollectiveOp op, std::int64_t ranks) {
  const double n = static_cast<double>(ranks);
  return op == CollectiveOp::allreduce ? 2.0 * (n - 1.0) / n : (n - 1.0) / n;
}

std::vector<RoundRun> collective_round_runs(const topology::Topology& topo, const CollectiveSpec& spec) {
  const auto n = static_cast<std::int64_t>(spec.ranks.size());
  if (n < 1) throw std::invalid_argument("a collective needs at least one rank");
  for (const auto r : spec.ranks)
    if (r < 0 || r >= topo.endpoint_count())
      throw std::invalid_argument(fmt::format("rank endpoint {} is not in the topology (0..{})", r, topo.endpoint_count() - 1));
  if (spec.bytes_per_rank < Bytes(0)) throw std::invalid_argument("bytes_per_rank is negative");
  if (spec.op == CollectiveOp::alltoallv) {
    if (static_cast<std::int64_t>(spec.matrix.size()) != n)
      throw std::invalid_argument("alltoallv: the matrix needs one row per rank");
    for (const auto& row : spec.matrix)
      if (static_cast<std::int64_t>(row.size()) != n) throw std::invalid_argument("alltoallv: the matrix must be square");
  }
  Rounds rounds;
  const Context c{spec.ranks, n};
  if (n == 1) return rounds;
  switch (spec.op) {
    case CollectiveOp::alltoall:
    case CollectiveOp::alltoallv:
      alltoall(topo, spec, c, rounds);
      break;
    case CollectiveOp::allreduce:
      allreduce(topo, spec, c, rounds);
      break;
    case CollectiveOp::allgather:
    case CollectiveOp::reducescatter: {
      const Bytes chunk = ceil_div(spec.bytes_per_rank, n);
      if (spec.algorithm == Algorithm::direct) {
        all_pairs(c, rounds, chunk);
      } else if (spec.algorithm == Algorithm::ring) {
        std::vector<std::int64_t> all(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
        ring_steps(c, {all}, n - 1, chunk, rounds);
      } else {
        throw std::invalid_argument(fmt::format("{} has no {} algorithm", to_string(spec.op), to_string(spec.algorithm)));
      }
      break;
    }
  }
  // Merge runs of equal rounds that were built separately (direct all-reduce's two halves,
  // the middle of the tree pipeline, rings of equal chunks).
  Rounds merged;
  for (auto& run : rounds) {
    if (run.count < 1) continue;
    if (!merged.empty() && merged.back().flows == run.flows && merged.back().pairs == run.pairs) merged.back().count += run.count;
    else merged.push_back(std::move(run));
  }
  return merged;
}

std::vector<Flow> round_flows(const RoundRun& run) { return run.pairs ? all_pairs_flows(*run.pairs) : run.flows; }

std::vector<std::vector<Flow>> collective_rounds(const topology::Topology& topo, const CollectiveSpec& spec) {
  std::vector<std::vector<Flow>> rounds;
  for (auto& run : collective_round_runs(topo, spec)) {
    const auto flows = round_flows(run);
    for (std::int64_t k = 0; k < run.count; ++k) rounds.push_back(flows);
  }
  return rounds;
}

void run_collective(Network& network, const CollectiveSpec& spec, std::function<void()> on_done) {
  struct State {
    Network& network;
    Rounds runs;
    std::size_t run = 0;
    std::int64_t repeat = 0;  // rounds of runs[run] already started
    std::function<void()> on_done;
    static void step(const std::shared_ptr<State>& self) {
      if (self->run < self->runs.size() && self->repeat == self->runs[self->run].count) {
        ++self->run;
        self->repeat = 0;
      }
      if (self->run == self->runs.size()) {
        auto done = std::move(self->on_done);
        if (done) done();
        return;
      }
      auto& current = self->runs[self->run];
      ++self->repeat;
      if (current.pairs) {  // an all-to-all round: sealed on an idle network where it can be (net/network.hpp)
        self->network.transfer(*current.pairs, [self] { step(self); });
        return;
      }
      // The last repetition may give its flows away; earlier ones copy them.
      auto flows = self->repeat == current.count ? std::move(current.flows) : current.flows;
      self->network.transfer(std::move(flows), [self] { step(self); });
    }
  };
  auto state =
      std::make_shared<State>(State{network, collective_round_runs(network.topology(), spec), 0, 0, std::move(on_done)});
  if (state->runs.empty()) {
    // Nothing to move: finish from an event at the current time, like every other ending.
    network.transfer(std::vector<Flow>{}, [state] { State::step(state); });
    return;
  }
  State::step(state);
}

Picoseconds collective_time(const topology::Topology& topo, const CollectiveSpec& spec,
                            std::vector<double>& peak_utilization) {
  const auto result = concurrent_collectives_time(topo, std::span<const CollectiveSpec>(&spec, 1));
  peak_utilization = result.peak_utilization;
  return result.time;
}

Picoseconds collective_time(const topology::Topology& topo, const CollectiveSpec& spec) {
  std::vector<double> peak;
  return collective_time(topo, spec, peak);
}

}  // namespace switchsim::net
