// `switchsim simulate`: one training step of a Switch Transformer on a cluster.

#include <fmt/format.h>

#include <memory>

#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/scenario_options.hpp"
#include "config/catalog.hpp"
#include "model/simulate.hpp"
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
  fmt::print("  dropped_token_frac {:.4f}   aux_loss {:.5f}   capacity C = {} (encoder), {} (decoder)\n",
             r.dropped_token_frac, r.aux_loss, r.capacity_encoder, r.capacity_decoder);
  fmt::print("  memory per device  {} of {}{}\n", r.memory.total(), r.memory.capacity,
             r.memory.oom() ? "  OUT OF MEMORY: " + r.memory.fit_hint : "");
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
  model::StepInputs inputs;
  try {
    inputs = model::make_inputs(o.scenario, catalog);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  auto comm = make_comm_model(inputs.cluster, o.network);
  model::StepResult result;
  try {
    result = model::simulate_step(inputs, *comm, !o.trace.empty());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  nlohmann::json row = model::input_columns(inputs);
  row["network"] = comm->name();
  row.update(model::to_json(result));
  // A training run of identical steps; the checked multiplication refuses a run whose
  // length does not fit in 64-bit picoseconds (about 106 days) instead of wrapping.
  row["steps"] = o.steps;
  row["run_time_s"] = (result.step_time * o.steps).seconds();
  if (!o.trace.empty())
    write_file_atomically(o.trace, engine::chrome_trace_json(result.trace, inputs.model.name + " on " + inputs.cluster.name));
  const std::string text = row.dump(2) + "\n";
  if (!o.out.empty()) write_file_atomically(o.out, text);
  if (o.json) fmt::print("{}", text);
  else {
    print_text(inputs, result);
    if (o.steps > 1) fmt::print("  run of {} steps     {}\n", o.steps, result.step_time * o.steps);
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
                  "groups sharing links; about 0.4 s for 1,024 GPUs) or closed-form (injection bandwidth formulas, no\n"
                  "contention between groups) (default: flow)");
  cmd->add_option("--steps", options->steps, "Training steps in the run; adds run_time_s = steps x step time (default: 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--trace", options->trace, "Write a Chrome/Perfetto trace of the step to this file");
  cmd->add_option("--out", options->out, "Also write the JSON result to this file (atomically)");
  cmd->add_flag("--json", options->json, "Print the result as JSON (one row, units in the field names)");
  cmd->callback([options, &action] { action = [options] { return run_simulate(*options); }; });
}

}  // namespace switchsim::cli
