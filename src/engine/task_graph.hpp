#pragma once
// A DAG of tasks. A task either occupies a serial resource (a compute stream, a copy
// engine) for a known duration, or is "external": another model (the network) decides
// when it ends. The graph knows nothing about what the tasks mean.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "units/units.hpp"

namespace switchsim::engine {

using TaskId = std::uint32_t;
using ResourceId = std::uint32_t;

// Called when an external task starts; it must arrange for `done` to be called exactly once,
// from an event on the same queue, when the task's work is finished.
using ExternalStart = std::function<void(TaskId task, std::function<void()> done)>;

struct Task {
  std::string name;
  std::string category;
  std::optional<ResourceId> resource;
  Picoseconds duration{0};
  ExternalStart external;
  std::vector<TaskId> successors;
  std::uint32_t predecessor_count = 0;
};

struct Resource {
  std::string name;
};

class TaskGraph {
 public:
  ResourceId add_resource(std::string name);
  // A task that holds `resource` (or nothing, when absent) for `duration`.
  TaskId add_task(std::string name, std::string category, std::optional<ResourceId> resource, Picoseconds duration);
  // A task whose end is decided by `start` (see ExternalStart); it may name a resource it
  // holds while running (e.g. a NIC), or none.
  TaskId add_external(std::string name, std::string category, std::optional<ResourceId> resource,
                      ExternalStart start);
  // `after` cannot start before `before` has finished.
  void add_dependency(TaskId before, TaskId after);

  const Task& task(TaskId id) const { return tasks_.at(id); }
  const Resource& resource(ResourceId id) const { return resources_.at(id); }
  std::size_t task_count() const { return tasks_.size(); }
  std::size_t resource_count() const { return resources_.size(); }

 private:
  std::vector<Task> tasks_;
  std::vector<Resource> resources_;
};

}  // namespace switchsim::engine
