#include "engine/event_queue.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace switchsim::engine {

void EventQueue::schedule(Picoseconds at, std::int32_t priority, Handler handler) {
  schedule_reserved(at, priority, next_sequence_++, std::move(handler));
}

void EventQueue::schedule_reserved(Picoseconds at, std::int32_t priority, std::uint64_t sequence, Handler handler) {
  if (sequence >= next_sequence_) throw std::logic_error("event scheduled with a sequence number that was not reserved");
  if (at < now_)
    throw std::logic_error("event scheduled in the past: at " + std::to_string(at.count()) + " ps, now " +
                           std::to_string(now_.count()) + " ps");
  std::uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    handlers_[slot] = std::move(handler);
  } else {
    slot = static_cast<std::uint32_t>(handlers_.size());
    handlers_.push_back(std::move(handler));
  }
  heap_.push_back(Entry{at.count(), priority, slot, sequence});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

bool EventQueue::run_next() {
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  const Entry entry = heap_.back();
  heap_.pop_back();
  now_ = Picoseconds(entry.time);
  Handler handler = std::move(handlers_[entry.slot]);
  handlers_[entry.slot] = nullptr;
  free_slots_.push_back(entry.slot);
  ++processed_;
  handler();
  return true;
}

void EventQueue::run() {
  while (run_next()) {
  }
}

}  // namespace switchsim::engine
