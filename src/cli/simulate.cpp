// `switchsim simulate`: one training step of a Switch Transformer on a cluster.

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/scenario_options.hpp"
#include "config/catalog.hpp"
#include "model/simulate_run.hpp"
#include "sweep/progress.hpp"
#include "units/format.hpp"

namespace switchsim::cli {
namespace {

struct SimulateOptions {
  model::Scenario scenario;
  std::string network = "flow";
  std::string trace;
  std::string out;
  std::int64_t steps = 1;
  bool json = false;
  bool quiet = false;
};

// A progress bar on stderr for a step that takes long (a co-simulated step whose
// collectives have no symmetry to reduce can take minutes on thousands of GPUs), one per stage, counting the step's tasks; it appears only after a
// second, so quick runs print nothing, and never when stderr is not a terminal.
class StepProgressBar {
 public:
  explicit StepProgressBar(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void update(std::string_view stage, std::int64_t finished, std::int64_t total) {
    if (!enabled_) return;
    if (!bar_ && std::chrono::steady_clock::now() - start_ < std::chrono::seconds(1)) return;
    if (!bar_ || stage != stage_) {
      bar_.reset();  // ends the previous stage's line
      stage_ = std::string(stage);
      bar_.emplace("simulate: " + stage_, true, "tasks");
    }
    bar_->update(finished, total);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::string stage_;
  std::optional<sweep::ProgressBar> bar_;
};

void print_text(const model::StepInputs& in, const model::StepResult& r) {
  fmt::print("{} on {} ({} devices, layout {}), experts {}, cf {}, top-{}, {} routing, {} padding\n", in.model.name,
             in.cluster.name, in.cluster.devices, in.layout.text(), in.model.experts.value_or(0), in.capacity_factor,
             in.model.top_k, in.routing.text, in.padding == model::Padding::capacity ? "capacity" : "dropless");
  fmt::print("  dispatch {}{}, remat {}, router {}, compute {}{}\n", model::dispatch_name(in.dispatch),
             in.dispatch == model::Dispatch::einsum ? fmt::format(" (group size {})", in.group_size) : "",
             model::remat_name(in.remat), dtype_name(in.model.router_dtype), dtype_name(in.model.compute_dtype),
             in.cluster.device.fp32_matmul_passes
                 ? fmt::format(" (fp32 matmuls as {} bf16 passes)", *in.cluster.device.fp32_matmul_passes)
                 : "");
  fmt::print("  step_time          {}\n", r.step_time);
  fmt::print("  tokens_per_s       {:.4g}\n", r.tokens_per_s);
  fmt::print("  examples_per_s     {:.4g}\n", r.examples_per_s);
  fmt::print("  mfu                {:.3f}\n", r.mfu);
  if (r.aux_loss)
    fmt::print("  dropped_token_frac {:.4f}   aux_loss {:.5f} (proxy {:.5f})   capacity C = {} (encoder), {} (decoder)\n",
               r.dropped_token_frac, *r.aux_loss, r.aux_loss_proxy, r.capacity_encoder, r.capacity_decoder);
  else
    fmt::print("  dropped_token_frac {:.4f}   aux_loss_proxy {:.5f}   capacity C = {} (encoder), {} (decoder)\n",
               r.dropped_token_frac, r.aux_loss_proxy, r.capacity_encoder, r.capacity_decoder);
  fmt::print("  memory per device  {} of {}{}\n", r.memory.total(), r.memory.capacity, r.memory.oom() ? "  OUT OF MEMORY: " + r.memory.fit_hint : "");
  fmt::print("    weights {}, gradients {}, optimizer {}, activations {}, all-to-all buffers {}\n", r.memory.weights,
             r.memory.gradients, r.memory.optimizer_states, r.memory.activations, r.memory.alltoall_buffers);
  if (in.remat != model::Remat::none) fmt::print("  recompute (remat)  {}\n", r.recompute_time);
  fmt::print("  phases (busy time on the critical device; overlapped communication hides {}):\n", r.overlap_hidden_time);
  for (std::string_view phase : model::kStepPhases) {
    const auto it = r.phase_time.find(std::string(phase));
    if (it == r.phase_time.end()) continue;
    fmt::print("    {:<18} {:>14}  {:5.1f}%\n", phase, fmt::format("{}", it->second),
               100.0 * it->second.seconds() / r.step_time.seconds());
  }
}

int run_simulate(const SimulateOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  // Before any work: a FIFO, device or missing directory at an output is an error now.
  if (!o.out.empty()) require_output_directory(o.out);
  if (!o.trace.empty()) require_output_directory(o.trace);
  if (o.steps < 1) throw UsageError(fmt::format("--steps must be at least 1, got {}", o.steps));
  model::StepInputs inputs;
  // Sizes that leave 64 bits or this machine's memory are bad input, reported with the
  // options and files that set them.
  auto sizes = [&] {
    return fmt::format("--batch-tokens {} with model {} ({} experts) on cluster {} ({} devices)",
                       o.scenario.batch_tokens, o.scenario.model, inputs.model.experts.value_or(0),
                       o.scenario.cluster, inputs.cluster.devices);
  };
  try {
    inputs = model::make_inputs(o.scenario, catalog);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const OverflowError& e) {
    throw UsageError(fmt::format("{}: {}", sizes(), e.what()));
  } catch (const std::bad_alloc&) {
    throw UsageError(fmt::format("{}: needs more memory than this machine gives", sizes()));
  }
  model::RunResult run;
  std::unique_ptr<model::CommModel> comm;
  try {
    comm = make_comm_model(inputs.cluster, o.network);
    StepProgressBar bar(!o.quiet && sweep::ProgressBar::stderr_is_terminal());
    run = model::simulate_run(inputs, *comm, o.steps, !o.trace.empty(),
                              [&bar](std::string_view stage, std::int64_t finished, std::int64_t total) {
                                bar.update(stage, finished, total);
                              });
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const OverflowError& e) {
    throw UsageError(fmt::format("{}: {}", sizes(), e.what()));
  } catch (const std::bad_alloc&) {
    throw UsageError(fmt::format("{}: needs more memory than this machine gives", sizes()));
  }
  const model::StepResult& result = run.mean;
  nlohmann::json row = model::input_columns(inputs);
  row["network"] = comm->name();
  row.update(model::to_json(result));
  // The checked arithmetic refuses a run whose length does not fit in 64-bit picoseconds
  // (about 106 days) instead of wrapping.
  row["steps"] = o.steps;
  row["run_time_s"] = run.run_time.seconds();
  if (run.distinct.size() > 1) {
    // A routing trace: each distinct step, in order, with how many of the run's steps it stands for.
    nlohmann::json per_step = nlohmann::json::array();
    for (std::size_t s = 0; s < run.distinct.size(); ++s) {
      const auto& r = run.distinct[s];
      nlohmann::json j{{"step", s},
                       {"occurrences", run.occurrences[s]},
                       {"step_time_s", r.step_time.seconds()},
                       {"dropped_token_frac", r.dropped_token_frac}};
      if (r.aux_loss) j["aux_loss"] = *r.aux_loss;
      j["aux_loss_proxy"] = r.aux_loss_proxy;
      per_step.push_back(std::move(j));
    }
    row["per_step"] = std::move(per_step);
  }
  if (!o.trace.empty())
    write_file_atomically(o.trace, engine::chrome_trace_json(result.trace, inputs.model.name + " on " + inputs.cluster.name));
  const std::string text = row.dump(2) + "\n";
  if (!o.out.empty()) write_file_atomically(o.out, text);
  if (o.json) fmt::print("{}", text);
  else {
    print_text(inputs, result);
    if (run.distinct.size() > 1) {
      fmt::print("  per trace step (the values above are their means over the run):\n");
      for (std::size_t s = 0; s < run.distinct.size(); ++s) {
        const auto& r = run.distinct[s];
        fmt::print("    step {:<4} x{:<6} step_time {}  dropped_token_frac {:.4f}  {} {:.5f}\n", s, run.occurrences[s],
                   r.step_time, r.dropped_token_frac, r.aux_loss ? "aux_loss" : "aux_loss_proxy",
                   r.aux_loss.value_or(r.aux_loss_proxy));
      }
    }
    if (o.steps > 1) fmt::print("  run of {} steps     {}\n", o.steps, run.run_time);
  }
  return 0;
}

}  // namespace

void setup_simulate(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "simulate",
      "Predict one training step of a Switch Transformer on a cluster, phase by phase.\n"
      "Example: switchsim simulate --model switch-base-128 --cluster dgx-h100-8\n"
      "         switchsim simulate --model switch-base-128 --cluster h100-fat-tree-1024 --network closed-form\n"
      "         switchsim simulate --model switch-base-64 --cluster tpu-v3-32 --capacity-factor 1.25 \\\n"
      "                            --routing zipf:1.1 --padding dropless --json --trace step.json\n"
      "         switchsim simulate --model switch-base-128 --cluster tpu-v3-32 --dispatch einsum --group-size 1024 \\\n"
      "                            --router-dtype fp32 --compute-dtype bf16   # the paper's runs: Mesh TF, selective precision\n"
      "         switchsim simulate --model switch-base-128 --cluster tpu-v3-32 --batch-tokens 2097152 --remat full");
  auto options = std::make_shared<SimulateOptions>();
  add_scenario_options(*cmd, options->scenario);
  cmd->add_option("--network", options->network, "How collectives are timed: flow (max-min flow simulation on the topology,\n"
                  "groups sharing links; under 1 s for a Switch-Base-128 step on 1,024 GPUs, a few seconds for\n"
                  "Switch-C-2048 on 2,048) or closed-form (injection bandwidth formulas, no contention between\n"
                  "groups) (default: flow)");
  cmd->add_option("--steps", options->steps,
                  "Training steps in the run; adds run_time_s, the sum of the step times (default: 1). With\n"
                  "--routing trace:FILE each step routes as the trace's next step, counts as given (the trace\n"
                  "repeats when the run is longer): every distinct step is simulated, listed in per_step, and the\n"
                  "output values are their means. With uniform/zipf/hot routing the steps are alike: one is\n"
                  "simulated")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--trace", options->trace, "Write a Chrome/Perfetto trace of the step to this file");
  cmd->add_option("--out", options->out, "Also write the JSON result to this file (atomically)");
  cmd->add_flag("--json", options->json, "Print the result as JSON (one row, units in the field names)");
  cmd->add_flag("--quiet", options->quiet,
                "No progress bar (shown on stderr for a step that takes over a second, and only when stderr is a\n"
                "terminal)");
  cmd->callback([options, &action] { action = [options] { return run_simulate(*options); }; });
}

}  // namespace switchsim::cli
