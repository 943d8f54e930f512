#include "model/simulate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "compute/kernel_model.hpp"
#include "engine/executor.hpp"
#include "model/model_stats.hpp"
#include "model/phase_costs.hpp"
#include "model/step_graph.hpp"
#include "model/step_plan.hpp"

namespace switchsim::model {
namespace {

// Whether two communication tasks ran at the same time (intervals of positive overlap).
bool comm_overlaps(const StepGraph& step, const engine::Recorder& recorder) {
  std::vector<bool> is_comm(step.graph.task_count(), false);
  for (auto id : step.comm_tasks) is_comm[id] = true;
  std::vector<std::pair<Picoseconds, Picoseconds>> spans;
  for (const auto& rec : recorder.records())
    if (is_comm[rec.task]) spans.emplace_back(rec.start, rec.end);
  std::sort(spans.begin(), spans.end());
  std::optional<Picoseconds> busy_until;
  for (const auto& [start, end] : spans) {
    if (busy_until && start < *busy_until) return true;
    if (!busy_until || end > *busy_until) busy_until = end;
  }
  return false;
}

// Third stage: run the graph on the engine; the step time, busy time per phase, the trace.
void run_step(const StepGraph& step, engine::EventQueue& queue, engine::Recorder& recorder, StepResult& result,
              const StepProgress& progress, std::string_view stage) {
  engine::Executor executor(step.graph, queue, &recorder);
  if (progress)
    executor.on_progress([&progress, stage](std::size_t finished, std::size_t total) {
      progress(stage, static_cast<std::int64_t>(finished), static_cast<std::int64_t>(total));
    });
  result.step_time = executor.run();
}

void step_records(const StepGraph& step, const engine::Recorder& recorder, bool record_trace, StepResult& result) {
  result.tasks = static_cast<std::int64_t>(step.graph.task_count());
  std::vector<bool> is_recompute(step.graph.task_count(), false);
  for (auto id : step.recompute_tasks) is_recompute[id] = true;

  Picoseconds busy{0};
  for (const auto& rec : recorder.records()) {
    // How long a task ran (a co-simulated collective has no duration of its own).
    if (is_recompute[rec.task]) result.recompute_time += rec.end - rec.start;
    const auto& task = step.graph.task(rec.task);
    const Picoseconds duration = rec.end - rec.start;
    result.phase_time[task.category] += duration;
    busy += duration;
    if (record_trace) {
      const std::string track = task.resource ? step.graph.resource(*task.resource).name : "device";
      result.trace.push_back(engine::TraceSpan{task.name, task.category, "device0/" + track, rec.start, rec.end});
      // One track per link class: which collective loaded it, and to what peak utilization.
      if (auto it = step.link_peaks.find(rec.task); it != step.link_peaks.end())
        for (const auto& [link_class, peak] : it->second)
          result.trace.push_back(engine::TraceSpan{fmt::format("{} ({:.0f}% peak)", task.name, peak * 100.0),
                                                   task.category, "links/" + link_class, rec.start, rec.end});
    }
  }
  result.overlap_hidden_time = busy > result.step_time ? busy - result.step_time : Picoseconds(0);
}

// Fourth stage: throughput, MFU, drops and the auxiliary loss from the plan and the step time.
void step_metrics(const StepInputs& in, const StepPlan& plan, StepResult& result) {
  const auto& m = in.model;
  const ModelStats stats = compute_stats(m);
  const double tokens = static_cast<double>(plan.shape.sequences_per_step) *
                        static_cast<double>(m.seq_len_input + m.seq_len_target);
  result.sequences_per_step = plan.shape.sequences_per_step;
  result.tokens_per_s = tokens / result.step_time.seconds();
  result.examples_per_s = static_cast<double>(plan.shape.sequences_per_step) / result.step_time.seconds();
  result.model_flops_per_step = 3.0 * stats.flops_per_sequence_forward * static_cast<double>(plan.shape.sequences_per_step);
  result.mfu = result.model_flops_per_step /
               (result.step_time.seconds() * static_cast<double>(in.cluster.devices) *
                in.cluster.device.peak(m.compute_dtype).value());
  // Drops and the auxiliary loss over both stacks' sampled groups.
  std::int64_t assignments = 0, dropped = 0, groups = 0;
  double proxy = 0, aux = 0;
  bool exact = false;
  for (const auto* load : {plan.encoder ? &*plan.encoder : nullptr, plan.decoder ? &*plan.decoder : nullptr}) {
    if (!load) continue;
    assignments += load->assignments;
    dropped += load->dropped;
    proxy += load->aux_loss_proxy_sum;
    if (load->aux_loss_sum) {
      aux += *load->aux_loss_sum;
      exact = true;
    }
    groups += load->groups_sampled;
  }
  if (plan.encoder) result.capacity_encoder = plan.encoder->capacity;
  if (plan.decoder) result.capacity_decoder = plan.decoder->capacity;
  if (groups > 0) {
    result.dropped_token_frac = assignments ? static_cast<double>(dropped) / static_cast<double>(assignments) : 0.0;
    result.aux_loss_proxy = proxy / static_cast<double>(groups);
    if (exact) result.aux_loss = aux / static_cast<double>(groups);
  }
}

}  // namespace

StepResult simulate_step(const StepInputs& in, CommModel& comm, bool record_trace,
                         SampledCountsCache* sampled_counts, const StepProgress& progress) {
  const StepPlan plan = plan_step(in, sampled_counts);
  const compute::KernelModel kernels(in.cluster.device);
  const PhaseCosts costs(kernels, in.model, in.layout.tp);
  StepResult result;
  result.memory = memory_per_device(in, memory_shape(in, plan));
  // Co-simulation (docs/modelling.md, "Co-simulation"): when the comm model has a shared network, the
  // gradient all-reduces get their own stream and every collective runs on one network per
  // step. Fast path, exact: run the step first with each collective timed alone (the
  // repeated-round shortcut); if no two communication tasks overlapped, each one ran alone
  // on an idle network, which is what the shared network would have given it, task by task
  // in time order, so that schedule is the co-simulated one. Otherwise co-simulate.
  engine::EventQueue queue;
  std::unique_ptr<CommSession> session = comm.open_session(queue);
  CommWiring wiring;
  wiring.gradient_stream = session != nullptr;
  StepGraph step = build_step_graph(in, plan, costs, comm, result.memory, record_trace, wiring);
  engine::Recorder recorder;
  if (!session) {
    run_step(step, queue, recorder, result, progress, kStageAlone);
  } else {
    engine::EventQueue alone_queue;
    run_step(step, alone_queue, recorder, result, progress, kStageAlone);
    if (comm_overlaps(step, recorder)) {
      wiring.session = session.get();
      step = build_step_graph(in, plan, costs, comm, result.memory, record_trace, wiring);
      recorder = engine::Recorder{};
      run_step(step, queue, recorder, result, progress, kStageShared);
    }
  }
  step_records(step, recorder, record_trace, result);
  step_metrics(in, plan, result);
  return result;
}

}  // namespace switchsim::model
