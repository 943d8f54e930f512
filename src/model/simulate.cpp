#include "model/simulate.hpp"

#include <fmt/format.h>

#include "compute/kernel_model.hpp"
#include "engine/executor.hpp"
#include "model/model_stats.hpp"
#include "model/phase_costs.hpp"
#include "model/step_graph.hpp"
#include "model/step_plan.hpp"

namespace switchsim::model {
namespace {

// Third stage: run the graph on the engine; the step time, busy time per phase, the trace.
void run_step(const StepGraph& step, bool record_trace, StepResult& result) {
  engine::EventQueue queue;
  engine::Recorder recorder;
  engine::Executor executor(step.graph, queue, &recorder);
  result.step_time = executor.run();
  result.tasks = static_cast<std::int64_t>(step.graph.task_count());
  for (auto id : step.recompute_tasks) result.recompute_time += step.graph.task(id).duration;

  Picoseconds busy{0};
  for (const auto& rec : recorder.records()) {
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

StepResult simulate_step(const StepInputs& in, CommModel& comm, bool record_trace) {
  const StepPlan plan = plan_step(in);
  const compute::KernelModel kernels(in.cluster.device);
  const PhaseCosts costs(kernels, in.model, in.layout.tp);
  StepResult result;
  result.memory = memory_per_device(in, memory_shape(in, plan));
  const StepGraph step = build_step_graph(in, plan, costs, comm, result.memory, record_trace);
  run_step(step, record_trace, result);
  step_metrics(in, plan, result);
  return result;
}

}  // namespace switchsim::model
