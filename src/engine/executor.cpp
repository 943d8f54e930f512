#include "engine/executor.hpp"

#include <stdexcept>
#include <string>

namespace switchsim::engine {

Executor::Executor(const TaskGraph& graph, EventQueue& queue, Recorder* recorder)
    : graph_(graph),
      queue_(queue),
      recorder_(recorder),
      waiting_on_(graph.task_count()),
      start_(graph.task_count()),
      finish_(graph.task_count()),
      resource_busy_(graph.resource_count(), false),
      resource_queue_(graph.resource_count()) {
  for (TaskId id = 0; id < graph.task_count(); ++id) waiting_on_[id] = graph.task(id).predecessor_count;
}

void Executor::start() {
  for (TaskId id = 0; id < graph_.task_count(); ++id) {
    if (waiting_on_[id] == 0) queue_.schedule(queue_.now(), kStartPriority, [this, id] { on_ready(id); });
  }
}

Picoseconds Executor::run() {
  start();
  queue_.run();
  if (finished_ != graph_.task_count()) {
    for (TaskId id = 0; id < graph_.task_count(); ++id) {
      if (waiting_on_[id] != 0)
        throw std::logic_error("task graph did not finish: '" + graph_.task(id).name +
                               "' still waits (a cycle, or an external task that never completed)");
    }
    throw std::logic_error("task graph did not finish: an external task never reported completion");
  }
  return makespan_;
}

void Executor::on_ready(TaskId id) {
  const Task& task = graph_.task(id);
  if (task.resource) {
    const ResourceId r = *task.resource;
    if (resource_busy_[r]) {
      resource_queue_[r].push_back(id);
      return;
    }
    resource_busy_[r] = true;
  }
  begin(id);
}

void Executor::begin(TaskId id) {
  const Task& task = graph_.task(id);
  start_[id] = queue_.now();
  if (task.external) {
    bool reported = false;
    task.external(id, [this, id, reported]() mutable {
      if (reported) throw std::logic_error("external task reported completion twice");
      reported = true;
      on_finished(id);
    });
  } else {
    queue_.schedule_after(task.duration, kFinishPriority, [this, id] { on_finished(id); });
  }
}

void Executor::on_finished(TaskId id) {
  const Task& task = graph_.task(id);
  const Picoseconds now = queue_.now();
  finish_[id] = now;
  if (now > makespan_) makespan_ = now;
  ++finished_;
  if (recorder_) recorder_->record(TaskRecord{id, start_[id], now});
  if (progress_) progress_(finished_, graph_.task_count());
  if (task.resource) {
    const ResourceId r = *task.resource;
    if (resource_queue_[r].empty()) {
      resource_busy_[r] = false;
    } else {
      const TaskId next = resource_queue_[r].front();
      resource_queue_[r].pop_front();
      begin(next);
    }
  }
  for (TaskId successor : task.successors) {
    if (--waiting_on_[successor] == 0) on_ready(successor);
  }
}

}  // namespace switchsim::engine
