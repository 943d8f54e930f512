#pragma once
// Runs a TaskGraph on an EventQueue. A task starts when all its predecessors have finished
// and its serial resource (if any) is free; tasks waiting for the same resource start in
// the order they became ready (ties in that order are the event order, hence deterministic).

#include <deque>
#include <functional>
#include <vector>

#include "engine/event_queue.hpp"
#include "engine/recorder.hpp"
#include "engine/task_graph.hpp"

namespace switchsim::engine {

class Executor {
 public:
  // Event priorities: task completions are processed before starts at the same instant, so
  // a resource freed at t is seen as free by a task that becomes ready at t.
  static constexpr std::int32_t kFinishPriority = 0;
  static constexpr std::int32_t kStartPriority = 1;

  Executor(const TaskGraph& graph, EventQueue& queue, Recorder* recorder = nullptr);

  // Schedules every source task; call queue.run() (or let run() do it) afterwards.
  void start();
  // start() + queue.run() + check that every task finished; returns the makespan
  // (latest finish time). Throws std::logic_error if the graph has a cycle or an external
  // task never reported completion.
  Picoseconds run();

  // Called after each task finishes with the tasks finished so far and the graph's total,
  // for a caller's progress display (a long co-simulated step finishes its tasks slowly).
  void on_progress(std::function<void(std::size_t finished, std::size_t total)> progress) { progress_ = std::move(progress); }

  std::size_t finished_count() const { return finished_; }
  Picoseconds finish_time(TaskId id) const { return finish_.at(id); }

 private:
  void on_ready(TaskId id);
  void begin(TaskId id);
  void on_finished(TaskId id);

  const TaskGraph& graph_;
  EventQueue& queue_;
  Recorder* recorder_;
  std::function<void(std::size_t, std::size_t)> progress_;
  std::vector<std::uint32_t> waiting_on_;
  std::vector<Picoseconds> start_;
  std::vector<Picoseconds> finish_;
  std::vector<bool> resource_busy_;
  std::vector<std::deque<TaskId>> resource_queue_;
  std::size_t finished_ = 0;
  Picoseconds makespan_{0};
};

}  // namespace switchsim::engine
