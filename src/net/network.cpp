#include "net/network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include "net/symmetry.hpp"

namespace switchsim::net {

namespace {
// splitmix64's finalizer (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): an entry's share of the memo key.
std::uint64_t entry_hash(std::int64_t path, std::int64_t weight) {
  std::uint64_t z = static_cast<std::uint64_t>(path) * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(weight);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

std::vector<Flow> all_pairs_flows(const AllPairs& pairs) {
  std::vector<Flow> flows;
  const auto n = pairs.ranks.size();
  flows.reserve(n * (n > 0 ? n - 1 : 0));
  for (const auto i : pairs.ranks)
    for (const auto j : pairs.ranks)
      if (i != j) flows.push_back(Flow{i, j, pairs.bytes});
  return flows;
}

Network::Network(const topology::Topology& topo, engine::EventQueue& queue, NetworkOptions options)
    : topo_(topo), queue_(queue), options_(options), peak_(topo.links().size(), 0.0), state_time_(queue.now()) {
  for (const auto& link : topo.links()) system_.add_constraint(link.bandwidth.value());
  link_flows_.resize(topo.links().size());
  dominated_load_.assign(topo.links().size(), 0.0);
  dominated_live_.assign(topo.links().size(), 0);
  dominated_mark_.assign(topo.links().size(), 0);
  dead_in_list_.assign(topo.links().size(), 0);
  link_mark_.assign(topo.links().size(), 0);
  touch_mark_.assign(topo.links().size(), 0);
  constraint_of_.assign(topo.links().size(), -1);
  bottlenecked_.assign(topo.links().size(), 0);
  if (topo.symmetry()) class_paths_ = std::make_unique<ClassPaths>(topo);
}

// An entry as a max-min variable on `constraints` (its path's links, or their indices in a
// subsystem), with its weight times the path's per-flow coefficients (1 each for flows).
void Network::add_variable(MaxMinSystem& system, std::span<const std::int32_t> constraints, std::span<const double> per_flow,
                           std::int64_t weight) {
  if (per_flow.empty()) {
    system.add_variable(constraints, weight);
    return;
  }
  coefficients_.clear();
  for (const auto c : per_flow) coefficients_.push_back(c * static_cast<double>(weight));
  system.add_variable(constraints, coefficients_);
}

// In class mode a link stands for its orbit, whose links carry the same load.
void Network::note_peak(std::int32_t link, double utilization) {
  if (group_ < 0) {
    auto& peak = peak_[static_cast<std::size_t>(link)];
    peak = std::max(peak, utilization);
    return;
  }
  for (const auto l : class_paths_->group_at(group_).orbit_links[static_cast<std::size_t>(link)])
    peak_[static_cast<std::size_t>(l)] = std::max(peak_[static_cast<std::size_t>(l)], utilization);
}

// A change of an entry's rate, or its start (+1) or end (-1), on the dominated links of its
// path (flows only: class paths keep every link in their system).
void Network::add_dominated_load(const Active& a, double rate_change, int live_change) {
  if (ClassPaths::is_class_path(a.path)) return;
  for (const auto l : topo_.dominated_links_of(topo_.path(a.path))) {
    const auto k = static_cast<std::size_t>(l);
    dominated_live_[k] += live_change;
    dominated_load_[k] = dominated_live_[k] == 0 ? 0.0 : dominated_load_[k] + rate_change * static_cast<double>(a.weight);
    if (rate_change > 0.0 && !dominated_mark_[k]) {
      dominated_mark_[k] = 1;
      dominated_dirty_.push_back(l);
    }
  }
}

void Network::note_dominated_peaks() {
  const auto& links = topo_.links();
  for (const auto l : dominated_dirty_) {
    const auto k = static_cast<std::size_t>(l);
    dominated_mark_[k] = 0;
    note_peak(l, dominated_load_[k] / links[k].bandwidth.value());
  }
  dominated_dirty_.clear();
}

// One entry more (+1) or fewer (-1) fixed by `bottleneck` (-1: by none yet).
void Network::count_bottleneck(std::int32_t bottleneck, std::int64_t delta) {
  if (bottleneck >= 0)
    bottlenecked_[static_cast<std::size_t>(bottleneck)] += delta;
  else
    without_bottleneck_ += delta;
}

void Network::set_rate(Active& a, double rate, std::int32_t bottleneck) {
  if (a.bottleneck != bottleneck) {
    count_bottleneck(a.bottleneck, -1);
    count_bottleneck(bottleneck, +1);
    a.bottleneck = bottleneck;
  }
  const double before = a.clock.rate;
  if (a.clock.set_rate(rate, state_time_)) {
    // A change beyond the last bits of a sum (a re-solve's rounding is not a change of rate).
    if (!(std::abs(rate - before) <= 1e-9 * std::max(std::abs(rate), std::abs(before)))) ++rate_changes_;
    add_dominated_load(a, rate - before, 0);
    least_finish_known_ = false;
    ++id_version_[static_cast<std::size_t>(a.id)];
    if (heap_mode_) rerated_.push_back(a.id);
  }
}

// The finish times of the entries set_rate changed go on the heap, one push each; when they
// are many (a whole-set solve), the heap is dropped: scans serve until rates hold again.
void Network::push_finishes() {
  note_dominated_peaks();
  const std::greater<> later;
  if (!heap_mode_) return;
  if (4 * rerated_.size() > live_) {
    heap_mode_ = false;
    finishes_.clear();
  } else {
    for (const auto id : rerated_) {
      finishes_.push_back(finish_of(active_[static_cast<std::size_t>(id_index_[static_cast<std::size_t>(id)])]));
      std::push_heap(finishes_.begin(), finishes_.end(), later);
    }
  }
  rerated_.clear();
}

// The rates (and bottlenecks) of a solve of every entry, all of them solved and compacted,
// in active order; the least finish for the next drain is taken in the same pass.
void Network::take_rates(std::span<const double> rates, std::span<const std::int32_t> bottlenecks) {
  solved_entries_ += active_.size();
  std::int64_t least = kNoFinish;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    set_rate(active_[i], rates[i], bottlenecks[i]);
    least = std::min(least, active_[i].clock.finish.count());
  }
  least_finish_ = least;
  least_finish_known_ = true;
  push_finishes();
}

Network::Finish Network::finish_of(const Active& a) const {
  return Finish{a.clock.finish.count(), a.id, id_version_[static_cast<std::size_t>(a.id)]};
}

// Not drained, and solved at least once (an entry started in a coalesced block has no rate
// until the block's solve).
bool Network::draining(const Active& a) { return a.weight > 0 && a.clock.rate > 0.0; }

// The heap from the entries draining, without stale items.
void Network::rebuild_finishes() {
  finishes_.clear();
  for (const auto& a : active_)
    if (draining(a)) finishes_.push_back(finish_of(a));
  std::make_heap(finishes_.begin(), finishes_.end(), std::greater<>());
}

// The least finish time of an entry still draining: the heap's top (stale items dropped on
// the way), or without the heap the least over the entries.
std::optional<Picoseconds> Network::next_finish() {
  if (!heap_mode_) {
    if (!least_finish_known_) {
      least_finish_ = kNoFinish;
      for (const auto& a : active_)
        if (draining(a)) least_finish_ = std::min(least_finish_, a.clock.finish.count());
      least_finish_known_ = true;
    }
    if (least_finish_ == kNoFinish) return std::nullopt;
    return Picoseconds(least_finish_);
  }
  const std::greater<> later;
  if (finishes_.size() > 4 * live_ + 1024) rebuild_finishes();  // mostly stale
  while (!finishes_.empty()) {
    const auto& top = finishes_.front();
    const auto id = static_cast<std::size_t>(top.id);
    if (id_index_[id] != kDead && id_version_[id] == top.version) return Picoseconds(top.at);
    std::pop_heap(finishes_.begin(), finishes_.end(), later);
    finishes_.pop_back();
  }
  return std::nullopt;
}

// Drops the drained entries from active_, keeping the others' order (the order solves use).
void Network::compact() {
  if (live_ == active_.size()) return;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (active_[i].weight == 0) continue;
    id_index_[static_cast<std::size_t>(active_[i].id)] = static_cast<std::int64_t>(kept);
    active_[kept++] = active_[i];
  }
  active_.resize(kept);
}

// Removes the drained ids from a link's list; an id out of all its lists may be reused.
void Network::purge(std::size_t link) {
  std::erase_if(link_flows_[link], [this](std::int32_t id) {
    const auto i = static_cast<std::size_t>(id);
    if (id_index_[i] != kDead) return false;
    if (--lists_left_[i] == 0) free_ids_.push_back(id);
    return true;
  });
  dead_in_list_[link] = 0;
}

// keep_rates_on_departure (network.hpp says why this is exact): every remaining entry has a
// bottleneck from the last solve, and none of them is a link of the flows that just drained.
bool Network::rates_survive_departure() const {
  if (!options_.keep_rates_on_departure || without_bottleneck_ > 0) return false;
  return std::all_of(touched_.begin(), touched_.end(),
                     [this](std::int32_t l) { return bottlenecked_[static_cast<std::size_t>(l)] == 0; });
}

void Network::clear_touched() {
  touched_.clear();
  ++touch_stamp_;
}

void Network::touch(std::int32_t link) {
  auto& stamp = touch_mark_[static_cast<std::size_t>(link)];
  if (stamp == touch_stamp_) return;
  stamp = touch_stamp_;
  touched_.push_back(link);
}

void Network::register_entry(std::size_t index) {
  std::int32_t id = 0;
  if (!free_ids_.empty()) {
    id = free_ids_.back();
    free_ids_.pop_back();
  } else {
    id = static_cast<std::int32_t>(id_index_.size());
    id_index_.push_back(kDead);
    id_mark_.push_back(0);
    id_version_.push_back(0);
    lists_left_.push_back(0);
  }
  Active& a = active_[index];
  a.id = id;
  ++id_version_[static_cast<std::size_t>(id)];  // a new life: its old heap items are stale
  ++live_;
  memo_key_ += entry_hash(a.path, a.weight);
  count_bottleneck(a.bottleneck, +1);  // -1: none until its first solve
  add_dominated_load(a, a.clock.rate, +1);  // a refined entry keeps its rate
  id_index_[static_cast<std::size_t>(id)] = static_cast<std::int64_t>(index);
  for (const auto l : incidence(a.path).links) link_flows_[static_cast<std::size_t>(l)].push_back(id);
}

std::int32_t Network::new_transfer(std::function<void()> on_done) {
  if (!free_transfers_.empty()) {
    const auto id = free_transfers_.back();
    free_transfers_.pop_back();
    transfers_[static_cast<std::size_t>(id)] = Transfer{0, std::move(on_done)};
    return id;
  }
  transfers_.push_back(Transfer{0, std::move(on_done)});
  return static_cast<std::int32_t>(transfers_.size() - 1);
}

void Network::complete(std::int32_t transfer, std::int64_t count) {
  Transfer& t = transfers_[static_cast<std::size_t>(transfer)];
  t.outstanding -= count;
  if (t.outstanding == 0) {
    auto done = std::move(t.on_done);
    t.on_done = nullptr;
    free_transfers_.push_back(transfer);
    if (done) done();
  }
}

void Network::deliver(std::int32_t transfer, std::int64_t count, Picoseconds at) {
  queue_.schedule(at, 0, [this, transfer, count] { complete(transfer, count); });
}

void Network::run_coalesced(const std::function<void()>& body) {
  if (!options_.coalesce_starts) {
    body();
    return;
  }
  if (coalesce_depth_++ == 0) clear_touched();
  try {
    body();
  } catch (...) {
    coalesce_depth_ = 0;
    coalesced_pending_ = false;
    pending_pairs_.clear();
    throw;
  }
  if (--coalesce_depth_ > 0 || !coalesced_pending_) return;
  coalesced_pending_ = false;
  if (!pending_pairs_.empty()) {  // the block's starts were all-to-all rounds on an idle network
    auto pending = std::move(pending_pairs_);
    pending_pairs_.clear();
    if (try_seal(pending)) return;
    // Started flow by flow, as the block would have started them: the drain keeps the place
    // the last start reserved.
    const auto sequence = coalesced_sequence_;
    ++coalesce_depth_;
    start_flow_by_flow(pending);
    --coalesce_depth_;
    coalesced_sequence_ = sequence;
    coalesced_pending_ = false;
  }
  resolve();
  schedule_next_drain(coalesced_sequence_);
}

void Network::transfer(std::vector<Flow> flows, std::function<void()> on_done) {
  if (start_as_classes(flows, nullptr, on_done)) return;
  open_sealed();
  start_pending();
  start(std::move(flows), std::move(on_done));
}

void Network::transfer(const AllPairs& pairs, std::function<void()> on_done) {
  if (options_.seal_symmetric_rounds && idle_for_seal()) {
    if (coalesce_depth_ > 0) {  // sealed (or started) when the block ends, with the rounds started beside it
      pending_pairs_.push_back(PendingPairs{pairs, std::move(on_done)});
      ++generation_;
      coalesced_sequence_ = queue_.reserve_sequence();
      coalesced_pending_ = true;
      return;
    }
    std::vector<PendingPairs> one;
    one.push_back(PendingPairs{pairs, std::move(on_done)});
    if (try_seal(one)) return;
    on_done = std::move(one.front().on_done);
  }
  if (start_as_classes({}, &pairs, on_done)) return;
  open_sealed();
  start_pending();
  start(all_pairs_flows(pairs), std::move(on_done));
}

// Class mode (NetworkOptions::symmetric_classes): a start on an idle network, while a sealed
// round sends, or while the entries are classes, is entered as classes of the subgroup that
// keeps it and everything active (opening the round, or refining the classes, to that
// subgroup). False when there is none (or a route is split or not equivariant): the caller
// starts it as flows, after opening the sealed round into flows (or, here, refining the
// classes to flows). Entries that are flows stay flows.
bool Network::start_as_classes(std::span<const Flow> flows, const AllPairs* pairs, std::function<void()>& on_done) {
  if (!options_.symmetric_classes || !options_.seal_symmetric_rounds || !class_paths_ || !pending_pairs_.empty()) return false;
  if (sealed_ && queue_.now() >= sealed_->drained) sealed_.reset();
  if (live_ > 0 && group_ < 0) return false;
  const topology::Symmetry& sym = *topo_.symmetry();
  const auto endpoints = topo_.endpoint_count();
  auto kept = preserving_generators(sym, flows, pairs, endpoints);
  const auto keep_only = [&kept](const std::vector<std::size_t>& also) {
    std::erase_if(kept, [&also](std::size_t g) { return !std::binary_search(also.begin(), also.end(), g); });
  };
  if (sealed_) {
    for (const auto& round : sealed_->rounds) keep_only(preserving_generators(sym, {}, &round, endpoints));
  } else if (group_ >= 0) {
    keep_only(class_paths_->group_at(group_).generators);
  }
  std::optional<std::int32_t> group = kept.empty() ? std::nullopt : class_paths_->group(kept);
  std::optional<std::vector<ClassFlow>> entering;
  if (group) entering = class_flows(*group, flows, pairs);
  if (sealed_) {
    if (!entering) return false;
    std::vector<std::vector<ClassFlow>> rounds;
    for (const auto& round : sealed_->rounds) {
      auto classes = class_flows(*group, {}, &round);
      if (!classes) return false;
      rounds.push_back(std::move(*classes));
    }
    group_ = *group;
    open_sealed(&rounds);
  } else if (group_ < 0) {  // idle
    if (!entering) return false;
    group_ = *group;
  } else if (!entering || (*group != group_ && !refine(*group))) {
    refine(std::nullopt);
    return false;
  }
  const auto id = new_transfer(std::move(on_done));
  state_time_ = queue_.now();
  const std::size_t first_new = active_.size();
  launch(id, first_new, enter_classes(id, *entering, queue_.now()));
  if (live_ == 0) group_ = -1;  // nothing took bandwidth (self flows, empty ones): no classes
  return true;
}

// The representative flows (one a class: those from the least endpoint of their source's
// orbit) of traffic the group keeps, with their class paths; nullopt when a route is split
// or not equivariant.
std::optional<std::vector<Network::ClassFlow>> Network::class_flows(std::int32_t group, std::span<const Flow> flows,
                                                                    const AllPairs* pairs) {
  const auto& rep = class_paths_->group_at(group).endpoint_rep;
  std::vector<ClassFlow> out;
  const auto add = [&](std::int32_t s, std::int32_t d, double bytes) {
    if (rep[static_cast<std::size_t>(s)] != s) return true;
    if (s == d) {
      out.push_back(ClassFlow{s, d, bytes, 0});
      return true;
    }
    const auto path = class_paths_->path(group, s, d);
    if (!path) return false;
    out.push_back(ClassFlow{s, d, bytes, *path});
    return true;
  };
  if (pairs) {
    for (const auto s : pairs->ranks)
      if (rep[static_cast<std::size_t>(s)] == s)
        for (const auto d : pairs->ranks)
          if (d != s && !add(s, d, pairs->bytes.as_double())) return std::nullopt;
  } else {
    for (const auto& f : flows) {
      if (f.bytes < Bytes(0)) throw std::invalid_argument("transfer: a flow with negative bytes");
      if (!add(f.src, f.dst, f.bytes.as_double())) return std::nullopt;
    }
  }
  return out;
}

// The end of enter() and enter_classes(): transfer `id` waits for `outstanding` flows, and
// those that need no bandwidth are delivered at their times (all at once when nothing is
// outstanding). False when nothing is.
bool Network::settle(std::int32_t id, std::int64_t outstanding, const std::map<std::int64_t, std::int64_t>& immediate,
                     Picoseconds now) {
  transfers_[static_cast<std::size_t>(id)].outstanding = outstanding;
  if (outstanding == 0) {
    deliver(id, 0, now);
    return false;
  }
  for (const auto& [at, count] : immediate) deliver(id, count, Picoseconds(at));
  return true;
}

// enter() for class flows of the current group: each stands for |H| flows.
bool Network::enter_classes(std::int32_t id, const std::vector<ClassFlow>& flows, Picoseconds now) {
  const auto order = class_paths_->group_at(group_).order;
  std::map<std::int64_t, std::int64_t> immediate;
  std::int64_t outstanding = 0;
  bool started = false;
  for (const auto& f : flows) {
    outstanding += order;
    if (f.src == f.dst) {
      immediate[now.count()] += order;
      continue;
    }
    if (f.bytes <= 0.0) {
      immediate[(now + class_paths_->at(f.path).latency).count()] += order;
      continue;
    }
    started = true;
    active_.push_back(Active{f.path, DrainClock::start(f.bytes, now), id, order, 0});
  }
  return settle(id, outstanding, immediate, now) && started;
}

// The classes split into the classes of the subgroup `group` (a subgroup of the current one:
// H = H' x <the generators H' lacks>, so a class's classes under H' are its representative's
// images under those generators), or into flows (nullopt). Each keeps the bytes, rate and
// finish of the class, and the transfer; no bottleneck is known until the next solve, which
// is of every entry. False, changing nothing, when a route under `group` is not equivariant.
bool Network::refine(std::optional<std::int32_t> group) {
  if (group_ < 0) return true;
  const ClassGroup& from = class_paths_->group_at(group_);
  const std::vector<std::size_t> none;
  const auto& kept = group ? class_paths_->group_at(*group).generators : none;
  std::vector<std::size_t> dropped;
  std::int64_t factor = 1;
  for (const auto g : from.generators)
    if (!std::binary_search(kept.begin(), kept.end(), g)) {
      dropped.push_back(g);
      factor *= topo_.symmetry()->generator_order[g];
    }
  compact();
  std::vector<Active> next;
  next.reserve(active_.size() * static_cast<std::size_t>(factor));
  bool ok = true;
  for (const auto& a : active_) {
    // Copied: path() below may grow the store the class path lives in.
    const auto [src, dst] = std::pair{class_paths_->at(a.path).src, class_paths_->at(a.path).dst};
    class_paths_->for_each_image(dropped, src, dst, [&](std::int32_t s, std::int32_t d) {
      if (!ok) return;
      std::int64_t path = 0;
      if (group) {
        const auto id = class_paths_->path(*group, s, d);
        if (!id) {
          ok = false;
          return;
        }
        path = *id;
      } else {
        path = topo_.route(s, d).first_path;  // one path: the class's route is, and equivariant
      }
      next.push_back(Active{path, a.clock, a.transfer, a.weight / factor, 0});
    });
    if (!ok) return false;
  }
  reset_entries(std::move(next));
  group_ = group ? *group : -1;
  ++refinements_;
  solve_all_next_ = true;
  return true;
}

// Replaces every entry (as refine() splits them), rebuilding what is kept per entry.
void Network::reset_entries(std::vector<Active> entries) {
  for (std::size_t l = 0; l < link_flows_.size(); ++l) {
    link_flows_[l].clear();
    dead_in_list_[l] = 0;
    bottlenecked_[l] = 0;
    dominated_load_[l] = 0.0;
    dominated_live_[l] = 0;
  }
  without_bottleneck_ = 0;
  id_index_.clear();
  id_mark_.clear();
  id_version_.clear();
  lists_left_.clear();
  free_ids_.clear();
  memo_key_ = 0;
  live_ = 0;
  finishes_.clear();
  rerated_.clear();
  heap_mode_ = false;
  least_finish_known_ = false;
  kept_in_a_row_ = 0;
  active_ = std::move(entries);
  for (std::size_t i = 0; i < active_.size(); ++i) register_entry(i);
}

// No flow active, no sealed round still sending (one that drained is forgotten: its end
// event only delivers), and no flow started earlier in this coalesced block.
bool Network::idle_for_seal() {
  if (sealed_ && queue_.now() >= sealed_->drained) sealed_.reset();
  return live_ == 0 && !sealed_;
}

const Network::SealPlan& Network::seal_plan(const std::vector<PendingPairs>& rounds) {
  const auto same = [&](const SealPlan& p) {
    if (p.rounds.size() != rounds.size()) return false;
    for (std::size_t i = 0; i < rounds.size(); ++i)
      if (!(p.rounds[i] == rounds[i].pairs)) return false;
    return true;
  };
  for (const auto& p : seal_plans_)
    if (same(p)) return p;
  if (seal_plans_.size() >= kSealPlans) seal_plans_.clear();
  SealPlan plan;
  for (const auto& r : rounds) plan.rounds.push_back(r.pairs);
  std::optional<ReducedRound> reduced;
  if (rounds.size() == 1) {
    reduced = reduce_round(topo_, {}, &rounds.front().pairs);
  } else {
    std::vector<Flow> all;
    for (const auto& r : rounds) {
      const auto flows = all_pairs_flows(r.pairs);
      all.insert(all.end(), flows.begin(), flows.end());
    }
    reduced = reduce_round(topo_, all);
  }
  if (reduced) {
    auto timing = time_reduced_round(topo_, *reduced);
    // A round with nothing to send starts flow by flow (no solve to seal), and so do rounds
    // whose ends the classes do not tell (sharing a rank, or one of a single rank, which
    // ends at once).
    if (timing.solves > 0) {
      if (rounds.size() == 1) {
        plan.round_end = {timing.duration};
      } else if (auto ends = group_last_deliveries(*reduced, timing, plan.rounds)) {
        plan.round_end = std::move(*ends);
      }
    }
    plan.sealable = !plan.round_end.empty();
    plan.drained = timing.drained;
    plan.peak_utilization = std::move(timing.peak_utilization);
  }
  seal_plans_.push_back(std::move(plan));
  return seal_plans_.back();
}

bool Network::try_seal(std::vector<PendingPairs>& rounds) {
  const SealPlan& plan = seal_plan(rounds);
  if (!plan.sealable) return false;
  const Picoseconds now = queue_.now();
  ++solves_;  // the start's solve, class by class
  ++sealed_rounds_;
  for (std::size_t l = 0; l < peak_.size(); ++l) peak_[l] = std::max(peak_[l], plan.peak_utilization[l]);
  auto done = std::make_shared<std::vector<std::function<void()>>>();
  for (auto& r : rounds) done->push_back(std::move(r.on_done));
  sealed_ = Sealed{plan.rounds, now, now + plan.drained, done};
  // One end event per distinct round end, in time order, completing its rounds in round
  // order (as one delivery event completes transfers in id order).
  std::map<Picoseconds, std::vector<std::size_t>> ending;
  for (std::size_t r = 0; r < plan.round_end.size(); ++r) ending[plan.round_end[r]].push_back(r);
  for (auto& [end, which] : ending)
    queue_.schedule(now + end, 0, [this, done, which = std::move(which)] {
      std::vector<std::function<void()>> calls;
      for (const auto r : which) {
        calls.push_back(std::move((*done)[r]));  // empty once opened
        (*done)[r] = nullptr;
      }
      run_coalesced([&] {
        for (auto& call : calls)
          if (call) call();
      });
    });
  return true;
}

// A start before the sealed round's last drain: its flows are entered as transfer() would have
// entered them at the round's start and solved alone (they were all that was active), then
// the drain events before now are run as on_drain would have run them (same arithmetic, same
// re-solves; deliveries already past are only counted), so the flows hold what the flow-by-flow
// network would hold now.
// With `classes` (class mode), the rounds are entered as those classes of group_ instead.
void Network::open_sealed(const std::vector<std::vector<ClassFlow>>* classes) {
  if (!sealed_) return;
  const Picoseconds now = queue_.now();
  if (now >= sealed_->drained) {  // every flow has drained: only its end event is left
    sealed_.reset();
    return;
  }
  Sealed s = std::move(*sealed_);
  sealed_.reset();
  ++opened_rounds_;
  if (classes) ++class_openings_;
  std::vector<std::function<void()>> calls(s.done->size());
  for (std::size_t r = 0; r < calls.size(); ++r) {
    calls[r] = std::move((*s.done)[r]);
    (*s.done)[r] = nullptr;  // its end event finds nothing to call
  }
  state_time_ = s.start;
  const std::size_t first = active_.size();
  for (std::size_t r = 0; r < s.rounds.size(); ++r) {
    ++call_stamp_;
    const auto id = new_transfer(std::move(calls[r]));
    if (classes)
      enter_classes(id, (*classes)[r], s.start);
    else
      enter(id, all_pairs_flows(s.rounds[r]), s.start);
  }
  for (std::size_t i = first; i < active_.size(); ++i) register_entry(i);
  --solves_;  // counted when sealed
  solve_all();
  while (live_ > 0) {
    const auto at = next_finish();
    if (!at || *at >= now) break;
    drain(*at);
  }
  clear_touched();
}

// Rounds held for sealing in this coalesced block, started flow by flow after all (another
// start joined them).
void Network::start_pending() {
  if (pending_pairs_.empty()) return;
  auto pending = std::move(pending_pairs_);
  pending_pairs_.clear();
  start_flow_by_flow(pending);
}

void Network::start_flow_by_flow(std::vector<PendingPairs>& rounds) {
  for (auto& r : rounds) start(all_pairs_flows(r.pairs), std::move(r.on_done));
}

void Network::start(std::vector<Flow> flows, std::function<void()> on_done) {
  const auto id = new_transfer(std::move(on_done));
  const Picoseconds now = queue_.now();
  state_time_ = now;
  ++call_stamp_;
  const std::size_t first_new = active_.size();
  launch(id, first_new, enter(id, flows, now));
}

// The entries transfer `id` entered from first_new on are registered; when some need
// bandwidth, they are solved (at the end of a coalesced block, or now).
void Network::launch(std::int32_t id, std::size_t first_new, bool started) {
  for (std::size_t i = first_new; i < active_.size(); ++i) register_entry(i);
  if (transfers_[static_cast<std::size_t>(id)].outstanding == 0) return;
  if (started) {
    if (coalesce_depth_ == 0) clear_touched();
    for (std::size_t i = first_new; i < active_.size(); ++i)
      for (const auto l : incidence(active_[i].path).links) touch(l);
    if (coalesce_depth_ > 0) {
      // Solved when run_coalesced's body returns; a drain planned before is void from now,
      // as a solve here would have made it, and the drain event keeps this start's place.
      ++generation_;
      coalesced_sequence_ = queue_.reserve_sequence();
      coalesced_pending_ = true;
      return;
    }
    resolve();
    schedule_next_drain();
  }
}

// Enters the flows of transfer `id` started at `now` as active entries (not yet registered)
// and schedules the deliveries that need no bandwidth; true if any flow needs bandwidth.
bool Network::enter(std::int32_t id, const std::vector<Flow>& flows, Picoseconds now) {
  // Deliveries that need no bandwidth, grouped by time so each time is one event.
  std::map<std::int64_t, std::int64_t> immediate;
  std::int64_t outstanding = 0;
  bool started = false;
  // Flows are never entered among classes: a start class mode cannot take refines them to
  // flows first (class mode lasts only while class entries are live).
  if (group_ >= 0) throw std::logic_error("Network: flows entered among flow classes");
  // Room for every flow at once (a million-flow transfer grown by doubling copies it twice),
  // still at least doubling, so that many small transfers stay amortized O(1) a flow.
  if (const auto needed = active_.size() + flows.size(); needed > active_.capacity())
    active_.reserve(std::max(needed, 2 * active_.capacity()));
  for (const Flow& f : flows) {
    if (f.bytes < Bytes(0)) throw std::invalid_argument("transfer: a flow with negative bytes");
    if (f.src == f.dst) {
      ++immediate[now.count()];
      ++outstanding;
      continue;
    }
    const auto route = topo_.route(f.src, f.dst);
    for (std::int32_t p = 0; p < route.path_count; ++p) {
      const auto index = route.first_path + p;
      const auto& path = topo_.path(index);
      ++outstanding;
      const double bytes = f.bytes.as_double() * path.fraction;
      if (bytes <= 0.0) {
        ++immediate[(now + path.latency).count()];
      } else {
        started = true;
        if (options_.aggregate_identical_flows) {
          if (path_seen_.size() <= static_cast<std::size_t>(index)) path_seen_.resize(static_cast<std::size_t>(index) + 1, {0, 0});
          auto& seen = path_seen_[static_cast<std::size_t>(index)];
          if (seen.first == call_stamp_ && active_[seen.second].clock.remaining == bytes) {
            ++active_[seen.second].weight;
            continue;
          }
          seen = {call_stamp_, active_.size()};
        }
        active_.push_back(Active{index, DrainClock::start(bytes, now), id, 1, 0});
      }
    }
  }
  return settle(id, outstanding, immediate, now) && started;
}

// The rates of a solve of this very system, if one is remembered (memoize_solves). The key
// is a sum over the active entries, kept as they start and drain (O(1) a change, not O(active));
// the candidate is confirmed entry by entry, in active order, so a collision only costs the
// comparison. Taking every flow's rate from it is exact even where only a component changed:
// solving the whole set gives every untouched component the bits its last solve gave it
// (see resolve()).
bool Network::recall() {
  if (!options_.memoize_solves) return false;
  const auto it = memo_.find(memo_key_);
  if (it == memo_.end() || it->second.entries.size() != live_) return false;
  compact();
  const auto& m = it->second;
  for (std::size_t i = 0; i < active_.size(); ++i)
    if (m.entries[i].first != active_[i].path || m.entries[i].second != active_[i].weight) return false;
  // The links carry the loads they carried when it was stored: peak_ already holds them.
  take_rates(m.rates, m.bottlenecks);
  ++solves_;
  ++memo_hits_;
  return true;
}

// Solves every active flow (and remembers the system's rates when memoize_solves).
void Network::solve_all() {
  if (recall()) return;
  compact();
  ++solves_;
  system_.clear_variables();
  solve_all_next_ = false;
  for (const auto& a : active_) {
    const auto path = incidence(a.path);
    add_variable(system_, path.links, path.per_flow, a.weight);
  }
  system_.solve(rates_, load_, &fixed_by_);  // constraint = link id
  take_rates(rates_, fixed_by_);
  const auto& links = topo_.links();
  for (std::size_t l = 0; l < links.size(); ++l)
    if (load_[l] > 0.0) note_peak(static_cast<std::int32_t>(l), load_[l] / links[l].bandwidth.value());
  if (!options_.memoize_solves || active_.size() >= kMemoEntries) return;
  if (memo_entries_ + active_.size() + 1 > kMemoEntries) {  // the memory bound: start over (costs solves, not exactness)
    memo_.clear();
    memo_entries_ = 0;
  }
  // A system is stored the second time it is solved: its first solve leaves only its key
  // (one entry of the budget), so traffic whose systems never recur (a skewed alltoallv's
  // drains) does not pay for copies it never reads.
  const auto [it, first] = memo_.try_emplace(memo_key_);
  if (first) {
    ++memo_entries_;
    return;
  }
  auto& m = it->second;
  memo_entries_ -= m.entries.size();  // a hash collision replaces the older system
  memo_entries_ += active_.size();
  m.entries.resize(active_.size());
  m.rates.assign(rates_.begin(), rates_.begin() + static_cast<std::ptrdiff_t>(active_.size()));
  m.bottlenecks.assign(fixed_by_.begin(), fixed_by_.begin() + static_cast<std::ptrdiff_t>(active_.size()));
  for (std::size_t i = 0; i < active_.size(); ++i) m.entries[i] = {active_[i].path, active_[i].weight};
}

// Re-solves the flows that share links, transitively, with the links in touched_ (the
// links of the flows that just started or drained): the connected component(s) of the
// flow-link graph the change is in. Max-min separates over components (a component's
// constraints hold only its own variables), so the other flows keep their rates. The
// component is solved with its links in id order and its flows in active order, the
// order the whole system would use, so the rates are the same to the last bit.
void Network::resolve() {
  const std::size_t n = live_;
  const auto& links = topo_.links();
  if (!options_.incremental || solve_all_next_) {
    solve_all();
    return;
  }
  // A change that left its links idle has nothing to re-solve (what the search below finds
  // too); otherwise a remembered solve of the whole set is cheaper than the search, and gives
  // the same bits. Either way solves() counts what it counts without the memo.
  const auto idle = [this](std::size_t l) { return static_cast<std::int64_t>(link_flows_[l].size()) == dead_in_list_[l]; };
  if (std::all_of(touched_.begin(), touched_.end(), [&](std::int32_t l) { return idle(static_cast<std::size_t>(l)); }))
    return;
  if (recall()) return;
  // Searches that kept reaching half the flows (every change of a skewed all-to-all reaches
  // them all): the next ones are skipped for a solve of everything, the bits they would have
  // ended in, but for one in kSearchRetry, which looks again (the traffic may have split).
  if (searches_given_up_ >= kSearchesBeforeSkipping && ++searches_skipped_ % kSearchRetry != 0) {
    solve_all();
    return;
  }
  // Breadth-first over the flow-link graph from the touched links, on the kept per-link
  // lists, in O(the component's incidences). Once it holds more than half the active
  // flows, everything is solved instead (at most twice the component's solve, and the rest
  // of the search saved; most changes of a step's all-to-alls reach every flow): exact,
  // since every component the change did not reach is as its last re-solve left it, and
  // solving it again gives the same bits (the same order as the incremental=false check).
  ++mark_;
  frontier_.clear();
  component_links_.clear();
  members_.clear();
  for (const auto l : touched_)
    if (link_mark_[static_cast<std::size_t>(l)] != mark_) {
      link_mark_[static_cast<std::size_t>(l)] = mark_;
      frontier_.push_back(l);
    }
  while (!frontier_.empty()) {
    const auto l = static_cast<std::size_t>(frontier_.back());
    frontier_.pop_back();
    if (idle(l)) continue;  // a touched link its drained flows left idle
    component_links_.push_back(static_cast<std::int32_t>(l));
    for (const auto id : link_flows_[l]) {
      const auto e = id_index_[static_cast<std::size_t>(id)];
      if (e == kDead || id_mark_[static_cast<std::size_t>(id)] == mark_) continue;
      id_mark_[static_cast<std::size_t>(id)] = mark_;
      members_.push_back(e);
      if (2 * members_.size() > n) {
        ++searches_given_up_;
        solve_all();
        return;
      }
      for (const auto m : incidence(active_[static_cast<std::size_t>(e)].path).links)
        if (link_mark_[static_cast<std::size_t>(m)] != mark_) {
          link_mark_[static_cast<std::size_t>(m)] = mark_;
          frontier_.push_back(m);
        }
    }
  }
  const std::size_t component = members_.size();
  if (component == 0) return;  // the change left no flow on its links: nothing to re-solve
  if (component == n) {
    ++searches_given_up_;
    solve_all();
    return;
  }
  searches_given_up_ = 0;
  ++solves_;
  partial_solves_++;
  // The whole system's order: links by id, flows in active order.
  std::sort(component_links_.begin(), component_links_.end());
  std::sort(members_.begin(), members_.end());
  sub_.clear();
  for (const auto l : component_links_)
    constraint_of_[static_cast<std::size_t>(l)] = sub_.add_constraint(links[static_cast<std::size_t>(l)].bandwidth.value());
  for (const auto i : members_) {
    cs_.clear();
    const auto& a = active_[static_cast<std::size_t>(i)];
    const auto path = incidence(a.path);
    for (const auto l : path.links) cs_.push_back(constraint_of_[static_cast<std::size_t>(l)]);
    add_variable(sub_, cs_, path.per_flow, a.weight);
  }
  sub_.solve(rates_, load_, &fixed_by_);
  solved_entries_ += members_.size();
  for (std::size_t k = 0; k < members_.size(); ++k) {
    const auto c = fixed_by_[k];
    set_rate(active_[static_cast<std::size_t>(members_[k])], rates_[k], c >= 0 ? component_links_[static_cast<std::size_t>(c)] : -1);
  }
  push_finishes();
  for (std::size_t c = 0; c < component_links_.size(); ++c) {
    const auto l = component_links_[c];
    note_peak(l, load_[c] / links[static_cast<std::size_t>(l)].bandwidth.value());
  }
}

void Network::schedule_next_drain(std::optional<std::uint64_t> sequence) {
  ++generation_;
  const auto next = next_finish();
  if (!next) return;
  const auto generation = generation_;
  const auto at = std::max(*next, queue_.now());
  if (sequence)
    queue_.schedule_reserved(at, 0, *sequence, [this, generation] { on_drain(generation); });
  else
    queue_.schedule(at, 0, [this, generation] { on_drain(generation); });
}

void Network::on_drain(std::uint64_t generation) {
  if (generation != generation_) return;  // rates changed since this drain was planned
  drain(queue_.now());
  schedule_next_drain();
}

// A drain event at `now`: the flows whose finish lies within kCompletionSlack of it leave
// (found on the finish heap, not by visiting every flow), their deliveries are scheduled (or,
// opening a sealed round, counted if already past), and what they shared is re-solved.
void Network::drain(Picoseconds now) {
  state_time_ = now;
  std::map<std::pair<std::int32_t, std::int64_t>, std::int64_t> done;  // (transfer, delivery time) -> flows
  // Flows drain in runs of one transfer and one latency: a run is added to `done` at its end
  // (the same sums, one map look-up a run instead of one a flow).
  std::pair<std::int32_t, std::int64_t> run_key{0, 0};
  std::int64_t run_count = 0;
  clear_touched();
  bool drained_any = false;
  const auto retire = [&](Active& a) {
    const auto path = incidence(a.path);
    const std::pair<std::int32_t, std::int64_t> key{a.transfer, (now + path.latency).count()};
    if (run_count > 0 && key != run_key) {
      done[run_key] += run_count;
      run_count = 0;
    }
    run_key = key;
    run_count += a.weight;
    const auto id = a.id;
    const auto links = path.links;
    for (const auto l : links) {
      touch(l);
      ++dead_in_list_[static_cast<std::size_t>(l)];
    }
    add_dominated_load(a, -a.clock.rate, -1);
    lists_left_[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(links.size());
    if (links.empty()) free_ids_.push_back(id);
    id_index_[static_cast<std::size_t>(id)] = kDead;
    drained_any = true;
    count_bottleneck(a.bottleneck, -1);
    memo_key_ -= entry_hash(a.path, a.weight);
    a.weight = 0;
    --live_;
    least_finish_known_ = false;
  };
  // The finishing flows come off the heap, unless they are many (a symmetric round's class
  // draining at once): past an eighth of the flows, one pass over them all is cheaper.
  const std::greater<> later;
  const std::size_t pops_before_scan = live_ / 8 + 64;
  std::size_t popped = 0;
  bool scan = !heap_mode_;
  while (heap_mode_) {
    const auto at = next_finish();
    if (!at) break;
    if (*at > now + kCompletionSlack) break;
    if (++popped > pops_before_scan) {
      scan = true;
      break;
    }
    const auto id = finishes_.front().id;
    std::pop_heap(finishes_.begin(), finishes_.end(), later);
    finishes_.pop_back();
    retire(active_[static_cast<std::size_t>(id_index_[static_cast<std::size_t>(id)])]);
  }
  if (scan) {
    for (auto& a : active_)
      if (draining(a) && a.clock.finishes_by(now)) retire(a);
    heap_mode_ = false;
    finishes_.clear();
  }
  if (run_count > 0) done[run_key] += run_count;
  // After a pass over every flow the lists the drained flows were in are purged now (their
  // ids free at once, the lists short); after heap pops, only a list more than half drained
  // (amortized O(1) a drained flow). So is active_.
  for (const auto l : touched_) {
    const auto link = static_cast<std::size_t>(l);
    if (scan || 2 * dead_in_list_[link] > static_cast<std::int64_t>(link_flows_[link].size())) purge(link);
  }
  if (scan || 2 * live_ < active_.size()) compact();
  if (live_ == 0) group_ = -1;  // class mode ends with its last entry
  // Opening a sealed round (a drain replayed before the queue's now; only then can a
  // delivery lie in the past): deliveries before the start that opens it have happened. A
  // transfer whose last one is among them is a round that ended before the opening (its end
  // event called it; it is entered for the links it shared): released without a call.
  if (now < queue_.now()) std::erase_if(done, [this](const auto& entry) {
    if (entry.first.second >= queue_.now().count()) return false;
    auto& t = transfers_[static_cast<std::size_t>(entry.first.first)];
    t.outstanding -= entry.second;
    if (t.outstanding == 0) {
      t.on_done = nullptr;
      free_transfers_.push_back(entry.first.first);
    }
    return true;
  });
  if (options_.coalesce_starts) {
    // One event per delivery time, completing the transfers in the order their separate
    // events would have run (transfer id; they were scheduled back to back by this drain,
    // and the engine schedules nothing at a negative priority that could run between
    // them), with the starts of their callbacks solved together.
    std::map<std::int64_t, std::vector<std::pair<std::int32_t, std::int64_t>>> by_time;
    for (const auto& [key, count] : done) by_time[key.second].emplace_back(key.first, count);
    for (auto& [at, batch] : by_time)
      queue_.schedule(Picoseconds(at), 0, [this, batch = std::move(batch)] {
        run_coalesced([&] {
          for (const auto& [transfer, count] : batch) complete(transfer, count);
        });
      });
  } else {
    for (const auto& [key, count] : done) deliver(key.first, count, Picoseconds(key.second));
  }
  if (!drained_any || live_ == 0) return;  // nothing left to re-solve
  if (rates_survive_departure()) {
    ++kept_rates_;
    // Rates that held through two drains in a row tend to hold through the next ones (a
    // skewed all-to-all's columns): from here on the next finishes come off a heap. (After
    // one, the next drain is often a symmetric class that a solve follows.)
    if (!heap_mode_ && ++kept_in_a_row_ >= 2) {
      rebuild_finishes();
      heap_mode_ = true;
    }
    return;
  }
  kept_in_a_row_ = 0;
  resolve();
}

}  // namespace switchsim::net
