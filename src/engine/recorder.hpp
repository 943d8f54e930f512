#pragma once
// Keeps every task's start and end, in completion order, for traces and per-phase sums.

#include <vector>

#include "engine/task_graph.hpp"

namespace switchsim::engine {

struct TaskRecord {
  TaskId task;
  Picoseconds start;
  Picoseconds end;
};

class Recorder {
 public:
  void record(const TaskRecord& r) { records_.push_back(r); }
  const std::vector<TaskRecord>& records() const { return records_; }

 private:
  std::vector<TaskRecord> records_;
};

}  // namespace switchsim::engine
