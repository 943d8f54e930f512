#pragma once
// The time of several collectives started together on an idle network (e.g. every
// data-parallel group's gradient all-reduce), each group running its own rounds with a
// barrier per round (net/collective.hpp), all sharing links.
//
// Shortcut for repeated rounds (exact). Write each group's schedule as runs: round r_j
// repeated c_j times (collective_round_runs; a ring all-reduce over n ranks is one run of
// 2(n−1)). When every group has the same run counts, run j is simulated once with every
// group's round r_j started together on the idle network. If all groups deliver their last
// flow at the same instant d_j after the start, then the whole run takes c_j·d_j:
//   - at that instant every flow of every group has drained (a flow is delivered one path
//     latency after its last byte leaves), so the network is idle again, and every group
//     starts its next round at the same instant, exactly as at the start of the run;
//   - the network's arithmetic depends only on time differences (drain delays are rounded
//     up relative to now, progress uses now − last update), so a round started at T from
//     an idle network ends at T + d_j, in the same integer picoseconds;
//   - by induction each repetition ends c·d_j after the run began; and peak link utilization
//     sees the same loads each repetition, so the maxima are those of one repetition.
// With one group this reproduces the plain simulation bit for bit. With several groups the
// plain simulation starts the groups' next rounds in the order their completion events
// fire, which may differ from group order: the max-min rates are the same mathematically,
// the floating-point sums may be taken in a different order (far below a picosecond of drain
// time; net/network.hpp's kCompletionSlack absorbs such differences).
// Symmetric rounds are solved class by class (net/symmetry.hpp): with one group the round's
// time is its last delivery; with several, only when every flow is delivered at the same
// instant (so every group ends the round together, as the shortcut needs).
// When the groups do not all end a round together (asymmetric groups on an asymmetric
// topology) or their run counts differ, the shortcut is not exact and the plain simulation
// (every round, all groups on one network) is used instead.

#include <cstdint>
#include <span>
#include <vector>

#include "net/collective.hpp"
#include "net/symmetry.hpp"
#include "topology/topology.hpp"
#include "units/units.hpp"

namespace switchsim::net {

struct ConcurrentOptions {
  bool collapse_repeated_rounds = true;  // false: always the plain simulation, for checking
  // With the shortcut: solve a symmetric round with one variable per class of equivalent
  // flows (net/symmetry.hpp, exact; rounds that are not symmetric are simulated flow by flow).
  bool symmetry_reduction = true;
  // Whether a network run under these options seals symmetric all-to-all rounds
  // (NetworkOptions::seal_symmetric_rounds): only with both shortcuts, so that turning
  // either off checks against every round flow by flow.
  bool seals_rounds() const { return collapse_repeated_rounds && symmetry_reduction; }
};

struct ConcurrentResult {
  Picoseconds time{0};                  // when the last group finished
  std::vector<double> peak_utilization;  // per link, load / bandwidth
  std::uint64_t solves = 0;             // max-min solves the simulation needed
  std::uint64_t solved_entries = 0;     // their work and the rates they changed (Network's
  std::uint64_t rate_changes = 0;       // counters of the same names; 0 for reduced rounds)
  bool collapsed = false;                // the shortcut was used
  std::size_t reduced_rounds = 0;        // distinct rounds solved by symmetry reduction
};

ConcurrentResult concurrent_collectives_time(const topology::Topology& topo, std::span<const CollectiveSpec> specs,
                                             ConcurrentOptions options = {});

}  // namespace switchsim::net
