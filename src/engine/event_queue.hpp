#pragma once
// The discrete-event core: a clock and a queue of callbacks ordered by
// (time, priority, insertion sequence). The sequence number makes every tie explicit, so
// two runs with the same inputs pop events in exactly the same order.

#include <cstdint>
#include <functional>
#include <vector>

#include "units/units.hpp"

namespace switchsim::engine {

class EventQueue {
 public:
  using Handler = std::function<void()>;

  // Lower priority values run first among events at the same time.
  void schedule(Picoseconds at, std::int32_t priority, Handler handler);
  // Takes an insertion sequence number now, for an event whose time is known only later:
  // scheduled with schedule_reserved, it sorts among ties as if scheduled at this call (so
  // a caller can defer computing an event without changing the order of any event).
  std::uint64_t reserve_sequence() { return next_sequence_++; }
  void schedule_reserved(Picoseconds at, std::int32_t priority, std::uint64_t sequence, Handler handler);
  void schedule_after(Picoseconds delay, std::int32_t priority, Handler handler) {
    schedule(now_ + delay, priority, std::move(handler));
  }

  // Pops and runs the earliest event; returns false when the queue is empty.
  bool run_next();
  // Runs until the queue is empty.
  void run();

  Picoseconds now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  std::size_t pending() const { return heap_.size(); }
  std::uint64_t processed() const { return processed_; }

 private:
  struct Entry {
    std::int64_t time;
    std::int32_t priority;
    std::uint32_t slot;
    std::uint64_t sequence;
  };
  static bool later(const Entry& a, const Entry& b) {
    if (a.time != b.time) return a.time > b.time;
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.sequence > b.sequence;
  }

  std::vector<Entry> heap_;
  // Handlers live in slots so heap operations move 24-byte entries, not std::functions.
  std::vector<Handler> handlers_;
  std::vector<std::uint32_t> free_slots_;
  Picoseconds now_{0};
  std::uint64_t next_sequence_ = 0;
  std::uint64_t processed_ = 0;
};

}  // namespace switchsim::engine
