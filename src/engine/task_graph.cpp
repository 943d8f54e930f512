#include "engine/task_graph.hpp"

#include <stdexcept>

namespace switchsim::engine {

ResourceId TaskGraph::add_resource(std::string name) {
  resources_.push_back(Resource{std::move(name)});
  return static_cast<ResourceId>(resources_.size() - 1);
}

TaskId TaskGraph::add_task(std::string name, std::string category, std::optional<ResourceId> resource,
                           Picoseconds duration) {
  if (duration < Picoseconds(0)) throw std::invalid_argument("task '" + name + "' has a negative duration");
  if (resource && *resource >= resources_.size())
    throw std::out_of_range("task '" + name + "' names an unknown resource");
  Task task;
  task.name = std::move(name);
  task.category = std::move(category);
  task.resource = resource;
  task.duration = duration;
  tasks_.push_back(std::move(task));
  return static_cast<TaskId>(tasks_.size() - 1);
}

TaskId TaskGraph::add_external(std::string name, std::string category, std::optional<ResourceId> resource,
                               ExternalStart start) {
  if (!start) throw std::invalid_argument("external task '" + name + "' has no start function");
  const TaskId id = add_task(std::move(name), std::move(category), resource, Picoseconds(0));
  tasks_[id].external = std::move(start);
  return id;
}

void TaskGraph::add_dependency(TaskId before, TaskId after) {
  if (before >= tasks_.size() || after >= tasks_.size()) throw std::out_of_range("dependency on an unknown task");
  if (before == after) throw std::invalid_argument("task '" + tasks_[before].name + "' depends on itself");
  tasks_[before].successors.push_back(after);
  ++tasks_[after].predecessor_count;
}

}  // namespace switchsim::engine
