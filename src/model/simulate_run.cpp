#include "model/simulate_run.hpp"

#include <stdexcept>
#include <string>

#include "model/simulate.hpp"

namespace switchsim::model {
namespace {

// Occurrence-weighted mean of the per-step values; memory is the largest footprint of any step
// (OOM if any step is), the trace is step 0's.
StepResult mean_of(const std::vector<StepResult>& steps, const std::vector<std::int64_t>& occurrences,
                   std::int64_t n, Picoseconds run_time) {
  StepResult m = steps.front();
  if (steps.size() == 1) return m;
  const double total = static_cast<double>(n);
  auto mean = [&](auto field) {
    double sum = 0;
    for (std::size_t i = 0; i < steps.size(); ++i) sum += static_cast<double>(occurrences[i]) * field(steps[i]);
    return sum / total;
  };
  m.step_time = Picoseconds(static_cast<std::int64_t>(
      static_cast<double>(run_time.count()) / total + 0.5));
  m.tokens_per_s = mean([](const StepResult& r) { return r.tokens_per_s; });
  m.examples_per_s = mean([](const StepResult& r) { return r.examples_per_s; });
  m.mfu = mean([](const StepResult& r) { return r.mfu; });
  m.dropped_token_frac = mean([](const StepResult& r) { return r.dropped_token_frac; });
  m.aux_loss_proxy = mean([](const StepResult& r) { return r.aux_loss_proxy; });
  bool exact = true;
  for (const auto& r : steps) exact = exact && r.aux_loss.has_value();
  if (exact) m.aux_loss = mean([](const StepResult& r) { return *r.aux_loss; });
  else m.aux_loss.reset();
  for (auto& [phase, time] : m.phase_time) {
    const std::string name = phase;
    time = Picoseconds(static_cast<std::int64_t>(
        mean([&name](const StepResult& r) {
          const auto it = r.phase_time.find(name);
          return it == r.phase_time.end() ? 0.0 : static_cast<double>(it->second.count());
        }) + 0.5));
  }
  m.overlap_hidden_time = Picoseconds(static_cast<std::int64_t>(
      mean([](const StepResult& r) { return static_cast<double>(r.overlap_hidden_time.count()); }) + 0.5));
  for (const auto& r : steps)
    if (r.memory.total() > m.memory.total()) m.memory = r.memory;
  return m;
}

}  // namespace

RunResult simulate_run(const StepInputs& inputs, CommModel& comm, std::int64_t steps, bool record_trace,
                       const StepProgress& progress) {
  if (steps < 1) throw std::invalid_argument("a run needs at least one step, got " + std::to_string(steps));
  const bool traced = inputs.routing.kind == RoutingSpec::Kind::trace && inputs.routing.trace && inputs.model.is_moe();
  const std::int64_t period = traced ? static_cast<std::int64_t>(inputs.routing.trace->steps.size()) : 1;
  const std::int64_t distinct = std::min(steps, period);
  RunResult run;
  run.steps = steps;
  for (std::int64_t s = 0; s < distinct; ++s) {
    StepInputs in = inputs;
    in.step = s;
    StepProgress step_progress = progress;
    if (progress && distinct > 1)
      step_progress = [&progress, s, distinct](std::string_view stage, std::int64_t finished, std::int64_t total) {
        const std::string label = "step " + std::to_string(s + 1) + " of " + std::to_string(distinct) + ": " + std::string(stage);
        progress(label, finished, total);
      };
    run.distinct.push_back(simulate_step(in, comm, record_trace && s == 0, nullptr, step_progress));
    // Step s stands for s, s + period, s + 2 period, ... below N.
    run.occurrences.push_back(steps / period + (s < steps % period ? 1 : 0));
  }
  try {
    for (std::size_t i = 0; i < run.distinct.size(); ++i)
      run.run_time += run.distinct[i].step_time * run.occurrences[i];
  } catch (const OverflowError&) {
    // Not a size problem: the run's length itself leaves the picosecond range.
    throw std::invalid_argument("a run of " + std::to_string(steps) +
                                " steps does not fit in 64-bit picoseconds (about 106 days of simulated time)");
  }
  run.mean = mean_of(run.distinct, run.occurrences, steps, run.run_time);
  return run;
}

}  // namespace switchsim::model
