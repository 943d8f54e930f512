#include "net/network.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

namespace switchsim::net {

Network::Network(const topology::Topology& topo, engine::EventQueue& queue, NetworkOptions options)
    : topo_(topo), queue_(queue), options_(options), peak_(topo.links().size(), 0.0), last_update_(queue.now()) {
  for (const auto& link : topo.links()) system_.add_constraint(link.bandwidth.value());
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

void Network::deliver(std::int32_t transfer, std::int64_t count, Picoseconds at) {
  queue_.schedule(at, 0, [this, transfer, count] {
    Transfer& t = transfers_[static_cast<std::size_t>(transfer)];
    t.outstanding -= count;
    if (t.outstanding == 0) {
      auto done = std::move(t.on_done);
      t.on_done = nullptr;
      free_transfers_.push_back(transfer);
      if (done) done();
    }
  });
}

void Network::transfer(std::vector<Flow> flows, std::function<void()> on_done) {
  const auto id = new_transfer(std::move(on_done));
  const Picoseconds now = queue_.now();
  advance();
  // Deliveries that need no bandwidth, grouped by time so each time is one event.
  std::map<std::int64_t, std::int64_t> immediate;
  std::int64_t outstanding = 0;
  bool started = false;
  ++call_stamp_;
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
          if (seen.first == call_stamp_ && active_[seen.second].remaining == bytes) {
            ++active_[seen.second].weight;
            continue;
          }
          seen = {call_stamp_, active_.size()};
        }
        active_.push_back(Active{index, bytes, 0.0, id, 1});
      }
    }
  }
  transfers_[static_cast<std::size_t>(id)].outstanding = outstanding;
  if (outstanding == 0) {
    deliver(id, 0, now);
    transfers_[static_cast<std::size_t>(id)].outstanding = 0;
    return;
  }
  for (const auto& [at, count] : immediate) deliver(id, count, Picoseconds(at));
  if (started) {
    resolve();
    schedule_next_drain();
  }
}

void Network::advance() {
  const Picoseconds now = queue_.now();
  if (now == last_update_) return;
  const double dt = (now - last_update_).seconds();
  for (auto& a : active_) a.remaining -= a.rate * dt;
  last_update_ = now;
}

void Network::resolve() {
  ++solves_;
  system_.clear_variables();
  for (const auto& a : active_) system_.add_variable(topo_.links_of(topo_.path(a.path)), a.weight);
  system_.solve(rates_, load_);
  for (std::size_t i = 0; i < active_.size(); ++i) active_[i].rate = rates_[i];
  const auto& links = topo_.links();
  for (std::size_t l = 0; l < links.size(); ++l)
    peak_[l] = std::max(peak_[l], load_[l] / links[l].bandwidth.value());
}

void Network::schedule_next_drain() {
  ++generation_;
  if (active_.empty()) return;
  double soonest = std::numeric_limits<double>::infinity();
  for (const auto& a : active_) soonest = std::min(soonest, a.remaining / a.rate);
  const auto delta = std::max<std::int64_t>(0, detail::ceil_to_int64(soonest * 1e12L, "drain time in picoseconds"));
  const auto generation = generation_;
  queue_.schedule(queue_.now() + Picoseconds(delta), 0, [this, generation] { on_drain(generation); });
}

void Network::on_drain(std::uint64_t generation) {
  if (generation != generation_) return;  // rates changed since this drain was planned
  advance();
  const double slack = kCompletionSlack.seconds();
  std::map<std::pair<std::int32_t, std::int64_t>, std::int64_t> done;  // (transfer, delivery time) -> flows
  std::size_t kept = 0;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    const Active& a = active_[i];
    if (a.remaining <= a.rate * slack) {
      const auto at = queue_.now() + topo_.path(a.path).latency;
      done[{a.transfer, at.count()}] += a.weight;
    } else {
      active_[kept++] = a;
    }
  }
  active_.resize(kept);
  for (const auto& [key, count] : done) deliver(key.first, count, Picoseconds(key.second));
  if (done.empty()) {  // rounding left a sliver: wait for it without re-solving
    schedule_next_drain();
    return;
  }
  if (!active_.empty()) resolve();
  schedule_next_drain();
}

}  // namespace switchsim::net
