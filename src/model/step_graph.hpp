#pragma once
// Internal to model/: the second stage of simulate_step. The step's task graph for the
// critical device: a compute stream and a communication stream, forward then backward per
// microbatch, gradient all-reduce buckets per layer (overlapped or not), then the optimizer.

#include <map>
#include <string>
#include <vector>

#include "engine/task_graph.hpp"
#include "model/comm_model.hpp"
#include "model/memory.hpp"
#include "model/phase_costs.hpp"
#include "model/step_inputs.hpp"
#include "model/step_plan.hpp"

namespace switchsim::model {

struct StepGraph {
  engine::TaskGraph graph;
  // Link classes each communication task loaded, and how much (only when tracing).
  std::map<engine::TaskId, std::map<std::string, double>> link_peaks;
  // The rematerialization tasks (their durations add up to StepResult::recompute_time).
  std::vector<engine::TaskId> recompute_tasks;
};

// Collective times come from `comm` ("auto" algorithms: the fastest candidate per request).
StepGraph build_step_graph(const StepInputs& inputs, const StepPlan& plan, const PhaseCosts& costs, CommModel& comm,
                           const MemoryBreakdown& memory, bool record_trace);

}  // namespace switchsim::model
