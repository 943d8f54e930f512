// `switchsim measure --target cpu ...`: run a real Switch layer (forward + backward) under MPI
// and report per-phase times. Lists in --experts, --capacity-factor, --tokens, --d-model and
// --d-ff measure the whole grid.

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "cli/command.hpp"
#include "cli/layer_grid_options.hpp"
#include "cli/output.hpp"
#include "cli/tool_info.hpp"
#include "mpi/session.hpp"
#include "ref/cpu/host_info.hpp"
#include "ref/cpu/layer_runner.hpp"
#include "ref/cpu/switch_layer.hpp"
#include "validate/cpu_rows.hpp"
#include "validate/cpu_runtime.hpp"
#include "validate/cuda_rows.hpp"

namespace switchsim::cli {
namespace {

struct MeasureOptions {
  validate::LayerGrid layer;  // measure's defaults: LayerGrid's own
  std::int64_t warmup = 2;
  std::int64_t repeats = 10;
  bool json = false;
  bool check = false;
  std::string out;
};

std::string text_table(const std::vector<nlohmann::json>& rows) {
  std::string out;
  for (const auto& r : rows) {
    out += fmt::format(
        "experts {}, capacity_factor {}, tokens/rank {}, d_model {}, d_ff {}, {}, top-{}, {}, routing {}, ranks {}\n",
        r["experts"].get<std::int64_t>(), r["capacity_factor"].get<double>(), r["tokens_per_rank"].get<std::int64_t>(),
        r["d_model"].get<std::int64_t>(), r["d_ff"].get<std::int64_t>(), r["ffn"].get<std::string>(),
        r["top_k"].get<std::int64_t>(), r["padding"].get<std::string>(), r["routing"].get<std::string>(),
        r["ranks"].get<std::int64_t>());
    const auto capacity = r["capacity"].get<std::int64_t>();
    out += fmt::format("  capacity {}, dropped_token_frac {:.4f}, aux_loss {:.5f}, repeats {}\n",
                       capacity > 0 ? fmt::format("{} tokens/expert", capacity) : std::string("none (dropless)"),
                       r["dropped_token_frac"].get<double>(), r["aux_loss"].get<double>(),
                       r["repeats"].get<std::int64_t>());
    out += fmt::format("  {:<18} {:>12} {:>12} {:>12}\n", "phase (fwd+bwd)", "median_ms", "p10_ms", "p90_ms");
    auto line = [&](const std::string& name) {
      const std::string key = "measured_" + name + "_time_s";
      out += fmt::format("  {:<18} {:>12.4f} {:>12.4f} {:>12.4f}\n", name, r[key].get<double>() * 1e3,
                         r[key + "_p10"].get<double>() * 1e3, r[key + "_p90"].get<double>() * 1e3);
    };
    for (auto phase : ref::kLayerPhases) line(std::string(phase));
    line("forward");
    line("backward");
    line("step");
  }
  return out;
}

void write_output(const MeasureOptions& o, const nlohmann::json& context, const std::vector<nlohmann::json>& rows) {
  const std::string text =
      o.json ? nlohmann::json{{"context", context}, {"results", rows}}.dump(2) + "\n" : text_table(rows);
  if (o.out.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomically(o.out, text);
  }
}

// --target cuda: one process drives spec.ranks GPUs (single-process NCCL); bf16 compute.
// --check: the kernel checks first (validate/cuda_rows.hpp: cuda_kernel_checks), then every layer also runs
// the one-hot einsum path on the same inputs (check_rel_err); a failed check exits 1 after the output.
int run_measure_cuda(const MeasureOptions& o, const std::vector<ref::LayerSpec>& specs) {
  validate::require_cuda_device();
  auto context = validate::cuda_context(tool_info());
  bool passed = true;
  if (o.check) {
    context["kernel_checks"] = validate::cuda_kernel_checks();
    passed = context["kernel_checks"].at("passed").get<bool>();
  }
  std::vector<nlohmann::json> rows;
  for (const auto& s : specs) {
    rows.push_back(validate::measure_cuda_row(validate::cuda_spec(s), o.warmup, o.repeats, o.check));
    passed = passed && rows.back().value("check_passed", true);
  }
  write_output(o, context, rows);
  if (!passed) fmt::print(stderr, "measure --check: a CUDA check failed (see kernel_checks and check_* in the output)\n");
  return passed ? 0 : 1;
}

int run_measure(const MeasureOptions& o) {
  if (o.layer.target != "cpu" && o.layer.target != "cuda")
    throw UsageError("--target must be cpu or cuda, got \"" + o.layer.target + "\"");
  if (o.warmup < 0) throw UsageError("--warmup must be >= 0, got " + std::to_string(o.warmup));
  if (o.repeats < 1) throw UsageError("--repeats must be at least 1, got " + std::to_string(o.repeats));
  const auto specs = validate::layer_spec_grid(o.layer);
  validate::check_layer_specs(specs, /*any_target=*/true);
  if (!o.out.empty()) require_output_directory(o.out);
  if (o.layer.target == "cuda") return run_measure_cuda(o, specs);
  if (auto code = validate::relaunch_cpu_ranks(o.layer.ranks)) return *code;

  mpi::ensure_mpi_initialized();
  if (mpi::world_size() != o.layer.ranks)
    throw UsageError(fmt::format("--ranks {} but the MPI world has {} ranks", o.layer.ranks, mpi::world_size()));
  const bool root = mpi::world_rank() == 0;
  validate::set_rank_blas_threads(o.layer.ranks);

  // The context is taken before the runs so that "load" says how busy the machine was.
  auto context = validate::measure_context(o.layer.ranks, tool_info());
  const auto schedule = validate::measure_schedule(specs);
  context["schedule"] = schedule.description;
  const auto rows = validate::measure_cpu_rows(specs, ref::cpu::RunOptions{o.warmup, o.repeats}, schedule, o.check);
  if (!root) return 0;
  context["load_average_after"] = ref::cpu::host_info().load_average;
  write_output(o, context, rows);
  return 0;
}

}  // namespace

void setup_measure(CLI::App& app, Action& action) {
  auto o = std::make_shared<MeasureOptions>();
  auto* cmd = app.add_subcommand(
      "measure",
      "Run a real Switch layer (router, dispatch, all-to-all, expert FFN, all-to-all, combine; forward and\n"
      "backward, fp32 OpenBLAS + MPI) and report per-phase times: median and p10/p90 over the repeats of\n"
      "the slowest rank. A grid is measured in interleaved rounds (one iteration of every config per round) so\n"
      "that a machine whose speed drifts affects every config alike. Starts itself under\n"
      "`mpirun -np RANKS --oversubscribe` unless already under mpirun.\n"
      "Results carry the date, host and load and are timings: they are NOT byte-identical between runs.\n"
      "--target cuda runs the CUDA/NCCL reference instead (bf16, fp32 router; one process, RANKS GPUs) with the\n"
      "same options and JSON schema; without a usable GPU it prints `no CUDA device: ...` and exits 3.\n"
      "Example: switchsim measure --target cpu --ranks 2 --experts 4,8 --capacity-factor 1.0,2.0 --json\n"
      "         switchsim measure --target cuda --ranks 1 --experts 8,64 --tokens 8192 --d-model 768 --d-ff 2048\n"
      "         mpirun -np 2 switchsim measure --target cpu --ranks 2 --tokens 256 --d-model 64 --d-ff 128");
  cmd->add_option("--target", o->layer.target, "Where to run: cpu (OpenBLAS + MPI) or cuda (GPUs) (default cpu)");
  add_layer_grid_options(cmd, o->layer, /*routing=*/true, /*aux=*/true);
  cmd->add_option("--warmup", o->warmup, "Untimed iterations before timing (default 2)");
  cmd->add_option("--repeats", o->repeats, "Timed iterations, forward + backward each (default 10)");
  cmd->add_flag("--check", o->check,
                "cpu: also compare outputs and gradients with all experts on one rank; adds check_max_abs_diff.\n"
                "cuda: run the kernel checks first (context.kernel_checks) and compare each layer's output with the\n"
                "one-hot einsum path (check_rel_err; capacity padding) and count NaN-routed tokens\n"
                "(nonfinite_tokens); exit 1 when a check fails");
  cmd->add_flag("--json", o->json, "Print JSON {context, results} instead of a text table");
  cmd->add_option("--out", o->out, "Write the output to FILE (atomically) instead of stdout");
  cmd->callback([o, &action] { action = [o] { return run_measure(*o); }; });
}

}  // namespace switchsim::cli
