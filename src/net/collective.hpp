#pragma once
// Collectives as rounds of flows on the shared Network; round k+1 starts when every flow of
// round k has been delivered (a barrier per step: exact for the symmetric schedules below,
// where every rank's step ends at the same time).
//
// n ranks, S = spec.bytes_per_rank, g = ranks per node, m = n / g nodes:
// - alltoall direct: one round, every i ≠ j sends S/n.            (nccl-tests: S = sendcount·n)
// - alltoall pairwise: n−1 rounds; in round k, i sends S/n to i+k mod n.
// - alltoall hierarchical (2D): round 1 inside each node, rank (a,p) sends S/g to (a,q):
//   everything for the ranks (·,q); round 2 between nodes, (a,q) sends g·S/n to (b,q).
// - alltoallv: the same schedules with matrix[i][j] bytes from i to j (summed per hop).
// - allreduce ring: 2(n−1) rounds of S/n to the ring successor.
//   Closed form: 2(n−1)·(S/(n·B) + α).
// - allreduce tree: binary tree (parent of i is (i−1)/2), S cut into 8 chunks; reduce up and
//   broadcast down pipelined: 2·depth + 8 − 1 rounds, each chunk moving one level a round.
// - allreduce hierarchical: ring reduce-scatter in each node (g−1 rounds of S/g), ring
//   all-reduce between nodes among ranks of the same local index (2(m−1) rounds of S/n),
//   ring all-gather in each node (g−1 rounds of S/g).
// - allreduce direct: reduce-scatter direct then all-gather direct.
// - allgather / reducescatter: S is the full buffer (nccl-tests); ring: n−1 rounds of S/n;
//   direct: every i ≠ j sends S/n.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/network.hpp"
#include "net/symmetry.hpp"
#include "topology/topology.hpp"
#include "units/units.hpp"

namespace switchsim::net {

enum class CollectiveOp { alltoall, alltoallv, allreduce, allgather, reducescatter };
enum class Algorithm { direct, pairwise, hierarchical, ring, tree };

struct CollectiveSpec {
  CollectiveOp op = CollectiveOp::alltoall;
  Algorithm algorithm = Algorithm::direct;
  std::vector<std::int32_t> ranks;         // endpoints taking part, in rank order
  Bytes bytes_per_rank;                    // what each rank sends (alltoall) / holds (allreduce...)
  std::vector<std::vector<Bytes>> matrix;  // alltoallv only: matrix[i][j] bytes from rank i to rank j
  std::int64_t ranks_per_node = 0;         // hierarchical: inner group size (0 = infer from topology)
};

std::string to_string(CollectiveOp op);
std::string to_string(Algorithm algorithm);
std::optional<CollectiveOp> parse_op(const std::string& name);
std::optional<Algorithm> parse_algorithm(const std::string& name);
// Algorithms implemented for an operation, in the order above.
std::vector<Algorithm> algorithms_for(CollectiveOp op);
// nccl-tests bus bandwidth factor: (n−1)/n, or 2(n−1)/n for all-reduce.
double bus_factor(CollectiveOp op, std::int64_t ranks);

// A round of flows that repeats `count` times in a row (each repetition waits for the
// previous one, like every round).
struct RoundRun {
  std::vector<Flow> flows;
  std::int64_t count = 1;
  // When set, the round is every ordered pair of these ranks (flows is empty): a uniform
  // all-to-all kept implicit so that 16,384 ranks do not need 268 million Flow records.
  std::optional<AllPairs> pairs;
};
// The flows of a round, materialized.
std::vector<Flow> round_flows(const RoundRun& run);

// The rounds as runs of equal consecutive rounds (a ring all-reduce over n ranks is one run
// of 2(n−1)); adjacent equal runs are merged. Same validation as collective_rounds.
std::vector<RoundRun> collective_round_runs(const topology::Topology& topo, const CollectiveSpec& spec);

// The rounds of flows (endpoint indices) the collective is made of, one by one. Throws
// std::invalid_argument for an unsupported op/algorithm pair or inconsistent spec.
std::vector<std::vector<Flow>> collective_rounds(const topology::Topology& topo, const CollectiveSpec& spec);

// Runs the collective on the shared network starting at queue.now(); calls on_done at its end.
void run_collective(Network& network, const CollectiveSpec& spec, std::function<void()> on_done);
// Convenience: the time of one collective on an otherwise idle network (net/concurrent.hpp:
// repeated rounds are timed once, exactly).
Picoseconds collective_time(const topology::Topology& topo, const CollectiveSpec& spec);
// The same, also returning each link's peak utilization.
Picoseconds collective_time(const topology::Topology& topo, const CollectiveSpec& spec,
                            std::vector<double>& peak_utilization);

}  // namespace switchsim::net
