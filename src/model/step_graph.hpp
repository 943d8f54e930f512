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
  // Every communication task, in creation order.
  std::vector<engine::TaskId> comm_tasks;
};

// How the communication tasks are wired (simulate.cpp decides; docs/modelling.md, "Co-simulation").
struct CommWiring {
  // The gradient all-reduces on their own serial stream ("grad_comm"), as DDP's reducer runs
  // them on its process group's NCCL stream, beside the "comm" stream of the all-to-alls and
  // model-parallel all-reduces. false: one "comm" stream for every collective.
  bool gradient_stream = false;
  // Co-simulation: each communication task is an external task this session's shared network
  // ends. nullptr: a fixed duration from the CommModel, the collective timed alone.
  CommSession* session = nullptr;
};

// Collective times come from `comm` ("auto" algorithms: the fastest candidate per request,
// each timed alone; with a session the chosen algorithm then runs on the shared network).
StepGraph build_step_graph(const StepInputs& inputs, const StepPlan& plan, const PhaseCosts& costs, CommModel& comm,
                           const MemoryBreakdown& memory, bool record_trace, const CommWiring& wiring = {});

}  // namespace switchsim::model
