#pragma once
// The flow-level network: flows share link bandwidth max-min fairly (net/maxmin.hpp); the
// rates are recomputed whenever a flow starts or drains, incrementally: only the flows that
// share links, transitively, with the flows that started or drained are re-solved (their
// connected component in the flow-link graph; max-min separates over components, like
// SimGrid's lmm with its modified set), the others keep their rates. A flow's bytes drain at the rates
// it gets over time; it is delivered one path latency after its last byte left (so a lone
// flow takes latency + bytes/bandwidth). Runs on an engine::EventQueue in integer
// picoseconds: a drain time is rounded up to the next picosecond, and flows whose last
// byte leaves within kCompletionSlack of an event finish at that event, so symmetric flows
// whose rates differ only by rounding finish together (the error is at most that slack).
// Lazily (net/drain_clock.hpp): a flow's bytes and finish time change only when its rate
// does. While drains keep the rates (keep_rates_on_departure, below), the next drain is the
// top of a heap of finish times, so a drain costs the flows it ends, not every active flow;
// after solves that change most rates, one pass over the flows finds it (cheaper than
// rebuilding the heap each time).
// With ECMP a flow is split into sub-flows, one per path, with bytes in proportion.
//
// Symmetry: flows of one transfer call with the same path and the same size are solved as
// one max-min variable of weight k (exact: max-min gives identical flows identical rates, so
// they drain together; only floating-point rounding of the shares can differ, by far less
// than a picosecond of drain time). NetworkOptions turns it off, for checking.
//
// Sealed rounds. An all-to-all round started with transfer(AllPairs) on an idle network (no
// flow active, nothing sealed) is timed class by class when it is symmetric (net/symmetry.hpp:
// reduce_round, then time_reduced_round, which runs this file's arithmetic over classes: the
// same solves, drain times and deliveries). The network then holds no entry for its flows,
// only an event at the round's last delivery that calls on_done. While nothing else starts,
// that is the flow-by-flow network's timeline. A transfer that starts before the round's last
// drain first opens it: its flows are entered as transfer() would have entered them at the
// round's start and solved as the whole set (they were all that was active), and the drain
// events between that start and now are run as on_drain runs them (deliveries already past
// only counted), so every flow holds what it would hold flow by flow; from there on everything
// is flow by flow. A start after the last drain finds the flows gone, as it would flow by flow
// (only deliveries are pending). Rounds started together (run_coalesced; one all-to-all per
// expert-parallel group) seal together when every start in the block is such a round, on
// disjoint rank sets of at least 2 ranks, and their union is symmetric; each round then ends
// at its own last delivery (net/symmetry.hpp: group_last_deliveries), and an opening after
// some have ended enters their flows too (they shared links with the others) without calling
// them again. Differences from the flow-by-flow network: class rates equal flow rates but for
// the last bits of their sums, so a sealed round ends within kCompletionSlack of the
// flow-by-flow end; its end event is queued at its start (not at its last drain), so among
// events of the same picosecond it may run earlier; and later transfers may get other
// transfer ids. A uniform all-to-all over 2,048 GPUs (4.2 million flows) then costs its
// symmetry classes instead of 4.2 million entries, unless another transfer opens it.
//
// Dominated links (topology::Topology::dominated: a non-blocking tree's switch-to-switch
// links) never limit a rate, so flows are solved on their other links (a step's
// expert-parallel groups on disjoint NICs are then separate components); their loads follow
// the rates of the flows crossing them, for peak_utilization.
//
// Class mode (NetworkOptions::symmetric_classes). A start on an idle network, or one that
// opens a sealed round, that a subgroup of the topology's symmetries keeps (with the round)
// enters one entry per flow class (net/class_paths.hpp), and the network runs on classes
// until it is empty; a start the subgroup does not keep refines them (see the option). An
// opening then costs the classes, not the flows: Switch-C-2048's all-to-alls opened by the
// rail rings of its gradient all-reduce are 65,504 classes, not 4.2 million flows.

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <span>
#include <vector>

#include "engine/event_queue.hpp"
#include "net/class_paths.hpp"
#include "net/drain_clock.hpp"
#include "net/maxmin.hpp"
#include "topology/topology.hpp"
#include "units/units.hpp"

namespace switchsim::net {

struct Flow {
  std::int32_t src = 0;  // endpoint indices
  std::int32_t dst = 0;
  Bytes bytes;
  friend bool operator==(const Flow&, const Flow&) = default;
};

// Every ordered pair (i, j), i ≠ j, of `ranks` sends `bytes`: an all-to-all round kept
// implicit (16,384 ranks are 268 million flows).
struct AllPairs {
  std::vector<std::int32_t> ranks;
  Bytes bytes;
  friend bool operator==(const AllPairs&, const AllPairs&) = default;
};

// The materialized flows of an AllPairs round, i-major (the order collectives always used).
std::vector<Flow> all_pairs_flows(const AllPairs& pairs);

struct NetworkOptions {
  bool aggregate_identical_flows = true;
  bool incremental = true;  // false: re-solve every flow on every change, for checking
  // Transfers started together are solved once (run_coalesced), and deliveries due at one
  // instant from one drain run as one event, so the transfers their callbacks start are
  // too. Exact for every time; peak_utilization then misses the zero-length states between
  // those starts, and solves() counts fewer. false: one solve per start, for checking.
  bool coalesce_starts = false;
  // A solve of every active flow whose system was solved before reuses that solve's rates;
  // every change looks there first (by a key kept as flows start and drain), before the
  // search for its component.
  // Exact: max-min rates are a function of the active flows' (path, weight) sequence alone
  // (capacities are fixed, remaining bytes do not enter; the solver is deterministic in its
  // variable order), and a recurring sequence is found by its hash and confirmed entry by
  // entry, so the rates are the bits the solve would give; the links carry the loads that
  // solve gave them, so peak_utilization already holds them. A step's symmetric collectives
  // recur: each round of a ring repeats beside the same rounds of the others (Switch-Base-128
  // on 1,024 GPUs: 61 distinct systems in 7,124 whole-set solves). false: solve every time,
  // for checking.
  bool memoize_solves = true;
  // Sealed rounds (above). false: every AllPairs round flow by flow, for checking.
  bool seal_symmetric_rounds = true;
  // A drain after which every remaining flow still has its bottleneck keeps the rates
  // without a solve. Why that is the max-min allocation: an allocation is max-min fair iff
  // it is feasible and every flow has a bottleneck, a saturated link on which no flow has a
  // higher rate (Bertsekas & Gallager, "Data Networks", §6.5.2), and that allocation is
  // unique. Each flow keeps the link whose step fixed it in the last solve (MaxMinSystem's
  // fixed_by, a bottleneck). Flows that leave only lower loads, so the rest stays feasible;
  // a link none of them crossed keeps its flows and their rates, so it is still saturated
  // and still a bottleneck of each flow it fixed. So when no remaining flow was fixed by a
  // link of the drained flows, the kept rates are the new max-min allocation. A solve would
  // compute the same rates with other floating-point sums (equal but for the last bits, as
  // sealed rounds' class rates are). A skewed all-to-all, whose columns drain one at a time
  // while each destination's link stays its flows' bottleneck, drains without solves.
  // false: re-solve after every drain, for checking.
  bool keep_rates_on_departure = true;
  // Class mode: a start on an idle network, or one that opens a sealed round, that is
  // invariant, with the round, under a subgroup H of the topology's symmetry group (the
  // generators that map each transfer onto itself) enters every flow class of H as one entry
  // of weight |H| instead of |H| flows (net/class_paths.hpp), and the network runs on
  // classes until it is empty: later starts that H keeps are entered as classes too. Exact
  // by the argument of net/symmetry.hpp: every active transfer is H-invariant, so the max-min
  // allocation is, at every instant, and the flows of a class drain together (class and flow
  // rates equal but for the last bits of their sums, as for sealed rounds). A start that H
  // does not keep refines the classes to the subgroup that keeps it (each class split into
  // its representative's images under the generators dropped, with the bytes and rates it
  // had), or to flows. Only with seal_symmetric_rounds (turning that off checks against
  // flows). false: flows, as before.
  bool symmetric_classes = true;
};

struct ReducedRound;  // net/symmetry.hpp

class Network {
 public:
  static constexpr Picoseconds kCompletionSlack = net::kCompletionSlack;

  Network(const topology::Topology& topo, engine::EventQueue& queue, NetworkOptions options = {});
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Starts all `flows` at queue.now(); calls on_done exactly once (from an event on the
  // queue) when the last one has been delivered. Several transfers may overlap and share
  // links. A flow from an endpoint to itself is delivered at once; an empty one after its
  // path latency.
  void transfer(std::vector<Flow> flows, std::function<void()> on_done);
  // The same for transfer(all_pairs_flows(pairs), on_done), sealed where it can be (above).
  void transfer(const AllPairs& pairs, std::function<void()> on_done);

  // Runs `body`; the transfers it starts are solved once, when it returns, instead of once
  // each. Exact: nothing between those starts can see a rate (no time passes, no event
  // runs), the union's components are solved in the order each would be alone (max-min
  // separates over components), and the next drain event takes the sequence number the
  // last start reserved, so it sorts among ties exactly where the per-start drain would
  // have. The zero-length states between the starts are not solved, so peak_utilization
  // and solves() see only the end state. Nests. Without NetworkOptions::coalesce_starts it
  // only runs `body`.
  void run_coalesced(const std::function<void()>& body);

  // Peak utilization (load / bandwidth, 0..1) per link seen so far, indexed by link id.
  const std::vector<double>& peak_utilization() const { return peak_; }
  const topology::Topology& topology() const { return topo_; }
  engine::EventQueue& queue() { return queue_; }
  std::uint64_t solves() const { return solves_; }
  // Solves that re-solved only the component of the change (fewer flows than active).
  std::uint64_t partial_solves() const { return partial_solves_; }
  std::size_t active_flows() const { return live_; }
  // Whole-set solves answered from an earlier solve of the same system (memoize_solves).
  std::uint64_t memo_hits() const { return memo_hits_; }
  // Drains after which the rates were kept without a solve (keep_rates_on_departure).
  std::uint64_t kept_rates() const { return kept_rates_; }
  // Seals (an all-to-all round, or the rounds one coalesced block started together, timed
  // class by class as one), and of them those a later start opened before they drained.
  // Sealed flows are not counted by active_flows().
  std::uint64_t sealed_rounds() const { return sealed_rounds_; }
  std::uint64_t opened_rounds() const { return opened_rounds_; }
  // Openings that entered classes instead of flows (symmetric_classes), and refinements of
  // classes to a smaller subgroup or to flows.
  std::uint64_t class_openings() const { return class_openings_; }
  std::uint64_t refinements() const { return refinements_; }
  // Work of the solves: the entries they solved (a memo hit counts its entries too), and of
  // those the ones whose rate changed by more than 1e-9 relative (a first rate counts). An
  // exact simulation that drains each flow at its own rate updates at least every changed
  // rate, so solved_entries() / rate_changes() bounds what a finer incremental solve could save.
  std::uint64_t solved_entries() const { return solved_entries_; }
  std::uint64_t rate_changes() const { return rate_changes_; }

 private:
  struct Active {
    std::int64_t path;  // index into topology paths, or a class path id (< 0, class mode)
    DrainClock clock;   // bytes left and rate (of each of the `weight` identical flows)
    std::int32_t transfer;
    std::int64_t weight;  // identical flows this entry stands for; 0 once drained (until compacted)
    std::int32_t id;      // stable while active (active_ compacts); reused once purged
    std::int32_t bottleneck = -1;  // the link whose step fixed its rate in the last solve; -1 before one
  };
  // A finish time on the drain heap; stale once its id's version moved on (the rate changed,
  // or the entry drained).
  struct Finish {
    std::int64_t at;  // ps
    std::int32_t id;
    std::uint32_t version;
    friend auto operator<=>(const Finish&, const Finish&) = default;
  };
  struct Transfer {
    std::int64_t outstanding = 0;
    std::function<void()> on_done;
  };
  struct PendingPairs {
    AllPairs pairs;
    std::function<void()> on_done;
  };
  // Rounds started together, timed class by class when sealable.
  struct SealPlan {
    std::vector<AllPairs> rounds;
    bool sealable = false;
    std::vector<Picoseconds> round_end;  // start to each round's last delivery
    Picoseconds drained{0};              // start to the last drain event
    std::vector<double> peak_utilization;
  };
  struct Sealed {
    std::vector<AllPairs> rounds;
    Picoseconds start{0};
    Picoseconds drained{0};  // absolute
    // The rounds' on_done, each called by its round's end event unless an opening took them
    // first (an ended round's slot is empty).
    std::shared_ptr<std::vector<std::function<void()>>> done;
  };
  void start(std::vector<Flow> flows, std::function<void()> on_done);
  void launch(std::int32_t id, std::size_t first_new, bool started);
  bool enter(std::int32_t id, const std::vector<Flow>& flows, Picoseconds now);
  // Class mode (NetworkOptions::symmetric_classes).
  struct ClassFlow {
    std::int32_t src = 0;
    std::int32_t dst = 0;
    double bytes = 0;
    std::int64_t path = 0;  // class path id (when src != dst)
  };
  bool start_as_classes(std::span<const Flow> flows, const AllPairs* pairs, std::function<void()>& on_done);
  std::optional<std::vector<ClassFlow>> class_flows(std::int32_t group, std::span<const Flow> flows, const AllPairs* pairs);
  bool enter_classes(std::int32_t id, const std::vector<ClassFlow>& flows, Picoseconds now);
  bool settle(std::int32_t id, std::int64_t outstanding, const std::map<std::int64_t, std::int64_t>& immediate,
              Picoseconds now);
  bool refine(std::optional<std::int32_t> group);
  void reset_entries(std::vector<Active> entries);
  // A path's links (constraints), per-flow coefficients (empty: 1 each) and latency.
  struct Incidence {
    std::span<const std::int32_t> links;
    std::span<const double> per_flow;
    Picoseconds latency{0};
  };
  Incidence incidence(std::int64_t path) const {
    if (ClassPaths::is_class_path(path)) {
      const ClassPath& p = class_paths_->at(path);
      return Incidence{p.links, p.per_flow, p.latency};
    }
    const auto& p = topo_.path(path);
    return Incidence{topo_.binding_links_of(p), {}, p.latency};
  }
  void add_variable(MaxMinSystem& system, std::span<const std::int32_t> constraints, std::span<const double> per_flow,
                    std::int64_t weight);
  void note_peak(std::int32_t link, double utilization);
  void add_dominated_load(const Active& a, double rate_change, int live_change);
  void note_dominated_peaks();
  bool idle_for_seal();
  bool try_seal(std::vector<PendingPairs>& rounds);
  const SealPlan& seal_plan(const std::vector<PendingPairs>& rounds);
  void open_sealed(const std::vector<std::vector<ClassFlow>>* classes = nullptr);
  void start_pending();
  void start_flow_by_flow(std::vector<PendingPairs>& rounds);
  std::optional<Picoseconds> next_finish();
  void compact();
  void purge(std::size_t link);
  void resolve();
  void solve_all();
  bool recall();
  void schedule_next_drain(std::optional<std::uint64_t> sequence = std::nullopt);
  void drain(Picoseconds now);
  void complete(std::int32_t transfer, std::int64_t count);
  void on_drain(std::uint64_t generation);
  void deliver(std::int32_t transfer, std::int64_t count, Picoseconds at);
  std::int32_t new_transfer(std::function<void()> on_done);
  void register_entry(std::size_t index);
  void set_rate(Active& a, double rate, std::int32_t bottleneck);
  void count_bottleneck(std::int32_t bottleneck, std::int64_t delta);
  Finish finish_of(const Active& a) const;
  static bool draining(const Active& a);
  void push_finishes();
  void rebuild_finishes();
  bool rates_survive_departure() const;

  const topology::Topology& topo_;
  engine::EventQueue& queue_;
  NetworkOptions options_;
  // For aggregation within one transfer call: path index -> (call stamp, active index).
  std::vector<std::pair<std::uint64_t, std::size_t>> path_seen_;
  std::uint64_t call_stamp_ = 0;
  MaxMinSystem system_;
  std::vector<Active> active_;
  std::vector<Transfer> transfers_;
  std::vector<std::int32_t> free_transfers_;
  std::vector<double> rates_;
  std::vector<double> load_;
  std::vector<double> peak_;
  // keep_rates_on_departure: per link, the active entries it fixed (Active::bottleneck), and
  // the entries with none yet (started since the last solve).
  std::vector<std::int64_t> bottlenecked_;
  std::int64_t without_bottleneck_ = 0;
  std::uint64_t kept_rates_ = 0;
  std::vector<std::int32_t> fixed_by_;
  // Dominated links (Topology::dominated) are left out of the max-min system; their loads,
  // for peak_utilization, follow the rates of the flows that cross them (a link with no flow
  // left is reset to exactly 0), and their peaks are taken after each change of rates.
  std::vector<double> dominated_load_;
  std::vector<std::int64_t> dominated_live_;
  std::vector<std::int32_t> dominated_dirty_;
  std::vector<char> dominated_mark_;
  // The instant the entries' state stands for: rates set now drain from it.
  Picoseconds state_time_{0};
  // Entries not drained (active_ also holds drained ones until compact()).
  std::size_t live_ = 0;
  // The finish times of the entries, least first (std::greater), with stale ones skipped; kept
  // only while drains keep rates (heap_mode_): after solves that change most rates, a scan
  // of the entries finds the next finish for less.
  std::vector<Finish> finishes_;
  bool heap_mode_ = false;
  // Without the heap: the least finish over the entries, while no rate or entry changed.
  static constexpr std::int64_t kNoFinish = std::numeric_limits<std::int64_t>::max();
  std::int64_t least_finish_ = kNoFinish;
  bool least_finish_known_ = false;
  void take_rates(std::span<const double> rates, std::span<const std::int32_t> bottlenecks);
  int kept_in_a_row_ = 0;  // drains that kept the rates since the last one that solved
  std::vector<std::uint32_t> id_version_;
  std::vector<std::int32_t> rerated_;  // ids whose rate set_rate changed, for push_finishes
  std::uint64_t generation_ = 0;
  std::uint64_t solves_ = 0;
  std::uint64_t partial_solves_ = 0;
  std::uint64_t solved_entries_ = 0;
  std::uint64_t rate_changes_ = 0;
  // The links of the flows that started or drained since the last solve, each once
  // (touch_mark_[l] == touch_stamp_: l is in it).
  std::vector<std::int32_t> touched_;
  std::vector<std::uint64_t> touch_mark_;
  std::uint64_t touch_stamp_ = 0;
  void clear_touched();
  void touch(std::int32_t link);
  // Kept up to date as flows start and drain, so finding a change's component costs the
  // component, not every active flow: per link, the ids of the entries crossing it (any
  // order; drained ones too, until more than half of a list is drained: then it is purged);
  // per id, its index in active_ (kDead once drained); a drained id is reused once every
  // list it was in has been purged (lists_left_ counts them down).
  static constexpr std::int64_t kDead = -1;
  std::vector<std::vector<std::int32_t>> link_flows_;
  std::vector<std::int64_t> dead_in_list_;
  std::vector<std::int32_t> lists_left_;
  std::vector<std::int64_t> id_index_;
  std::vector<std::int32_t> free_ids_;
  // Scratch of resolve(), reused: marks are stamps (equal to mark_ means "in this search").
  std::uint64_t mark_ = 0;
  std::vector<std::uint64_t> link_mark_;
  std::vector<std::uint64_t> id_mark_;
  std::vector<std::int32_t> frontier_;
  std::vector<std::int32_t> component_links_;
  std::vector<std::int64_t> members_;
  std::vector<std::int32_t> constraint_of_;
  std::vector<std::int32_t> cs_;
  // run_coalesced: nesting depth, whether a start awaits its solve, and the sequence
  // number the latest start reserved for the drain event.
  int coalesce_depth_ = 0;
  bool coalesced_pending_ = false;
  std::uint64_t coalesced_sequence_ = 0;
  MaxMinSystem sub_;
  // resolve(): searches in a row that reached half the flows, and those skipped since.
  static constexpr int kSearchesBeforeSkipping = 4;
  static constexpr std::uint64_t kSearchRetry = 16;
  int searches_given_up_ = 0;
  std::uint64_t searches_skipped_ = 0;
  // memoize_solves: hash of the (path, weight) sequence -> that sequence and its rates (empty
  // until the system is solved a second time). At most kMemoEntries entries and keys in all
  // (a memory bound, 24 bytes an entry, not a model parameter: past it the memo starts
  // over, which costs solves, never exactness).
  static constexpr std::size_t kMemoEntries = std::size_t{1} << 21;
  struct Solved {
    std::vector<std::pair<std::int64_t, std::int64_t>> entries;
    std::vector<double> rates;
    std::vector<std::int32_t> bottlenecks;
  };
  std::unordered_map<std::uint64_t, Solved> memo_;
  std::size_t memo_entries_ = 0;
  std::uint64_t memo_key_ = 0;  // Σ entry_hash(path, weight) over active_ (mod 2^64)
  std::uint64_t memo_hits_ = 0;
  // Sealed rounds: those started in the current coalesced block while the network was idle
  // (sealed together, or started flow by flow, when the block ends), the one in flight, and
  // the plans of the rounds seen (at most kSealPlans; past it they start over).
  static constexpr std::size_t kSealPlans = 64;
  std::vector<PendingPairs> pending_pairs_;
  std::optional<Sealed> sealed_;
  std::vector<SealPlan> seal_plans_;
  std::uint64_t sealed_rounds_ = 0;
  std::uint64_t opened_rounds_ = 0;
  // Class mode: the subgroup the entries are classes of (-1: they are flows), and whether the
  // next solve must be of every entry (after a refinement: no bottlenecks are known).
  std::unique_ptr<ClassPaths> class_paths_;
  std::int32_t group_ = -1;
  bool solve_all_next_ = false;
  std::vector<double> coefficients_;
  std::uint64_t class_openings_ = 0;
  std::uint64_t refinements_ = 0;
};

}  // namespace switchsim::net
