// `switchsim validate --target cpu|cuda ...`: bind the options of the validation experiment
// (validate/experiment.hpp: a Reference measures, the layer model predicts, err = predicted /
// measured - 1 per phase and for the step, with the median and max |err_step_time| over the
// grid) and print its result. `--measured FILE` predicts the rows of an earlier `measure` (or
// `validate`) file instead of measuring again; `--published` a table of published measurements.

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.hpp"
#include "cli/layer_grid_options.hpp"
#include "cli/output.hpp"
#include "cli/tool_info.hpp"
#include "config/catalog.hpp"
#include "config/json_file.hpp"
#include "validate/cpu_reference.hpp"
#include "validate/cpu_rows.hpp"
#include "validate/cpu_runtime.hpp"
#include "validate/cuda_reference.hpp"
#include "validate/experiment.hpp"
#include "validate/grid_file.hpp"
#include "validate/layer_grid.hpp"
#include "validate/published.hpp"
#include "validate/recorded_reference.hpp"

namespace switchsim::cli {
namespace {

validate::LayerGrid validate_grid_defaults() {
  validate::LayerGrid g;
  g.experts = {4, 8};
  g.capacity_factor = {1.0, 2.0};
  g.tokens = {2048};
  g.d_ff = {512};
  // A skewed --routing is predicted from the per-expert load the reference measured, not from the
  // model's own reading of the knob (validate/prediction.hpp: scenario_of_row): the reference's
  // skew is a logit bias, the model's a load share, and only the measured counts describe the
  // same layer.
  g.routing = "uniform";
  g.aux_loss = true;
  return g;
}

struct ValidateOptions {
  validate::LayerGrid layer = validate_grid_defaults();
  std::int64_t warmup = 2;
  std::int64_t repeats = 8;
  std::string profile;  // default per target
  std::string cluster;
  std::string calibration = "full";
  double max_age_h = 24;
  bool recalibrate = false;
  bool oracle = false;  // calibrate every config's own shapes as well (a diagnostic)
  std::string comm = "closed-form";
  std::string measured;
  std::string grid;     // --grid FILE: the layers of a grid file instead of the list options
  bool held_out = false;  // --held-out: the shipped held-out grid (validate/grid_file.hpp)
  bool published = false;      // --published [FILE]: predict a table of published measurements instead
  std::string published_file;  // empty: the shipped table
  std::string label;
  bool json = false;
  std::string out;
};

void write_output(const ValidateOptions& o, const validate::ValidationResult& r) {
  if (!r.root) return;
  const std::string text = o.json ? validate::to_json(r).dump(2) + "\n" : validate::to_text(r);
  if (o.out.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomically(o.out, text);
  }
}

// `--published [FILE]`: predict a table of published real-hardware measurements (validate/published.hpp).
int run_published(const ValidateOptions& o) {
  // The shipped table is found in the data directory (like models/ and hardware/), named by
  // its relative path in the output.
  const auto catalog = config::Catalog::from_environment();
  const std::string file = o.published_file.empty() ? "traces/published/measurements.json" : o.published_file;
  const auto path = o.published_file.empty() ? catalog.data_dir() / file : std::filesystem::path(file);
  if (!o.out.empty()) require_output_directory(o.out);
  const auto table = validate::parse_published_table(config::load_json_file(path), file);
  std::vector<validate::PublishedPrediction> predictions;
  for (std::size_t i = 0; i < table.rows.size(); ++i)
    predictions.push_back(validate::predict_row(table.rows[i], catalog, file, i));
  const auto summary = validate::summarize(table, predictions);
  const std::string text = o.json ? validate::to_json(table, predictions, summary).dump(2) + "\n"
                                  : validate::to_text(table, predictions, summary);
  if (o.out.empty())
    fmt::print("{}", text);
  else
    write_file_atomically(o.out, text);
  return 0;
}

int run_validate(const ValidateOptions& o) {
  if (o.published) return run_published(o);
  if (o.layer.target != "cpu" && o.layer.target != "cuda")
    throw UsageError("--target must be cpu or cuda, got \"" + o.layer.target + "\"");
  if (o.warmup < 0) throw UsageError("--warmup must be >= 0, got " + std::to_string(o.warmup));
  if (o.repeats < 1) throw UsageError("--repeats must be at least 1, got " + std::to_string(o.repeats));
  if (o.comm != "closed-form" && o.comm != "flow")
    throw UsageError("--comm must be closed-form or flow, got \"" + o.comm + "\"");
  if (o.calibration != "quick" && o.calibration != "full")
    throw UsageError("--calibration must be quick or full, got \"" + o.calibration + "\"");
  if (!(o.max_age_h > 0)) throw UsageError("--max-profile-age-h must be positive");
  validate::Experiment experiment;
  auto layer = o.layer;
  if (!o.grid.empty() || o.held_out) {
    if (!o.grid.empty() && o.held_out) throw UsageError("--grid and --held-out name two grids; give one");
    // The shipped grid is found in the data directory (like models/), named by its relative path.
    const std::string file = o.held_out ? validate::kHeldOutGrid : o.grid;
    const auto path = o.held_out ? config::Catalog::from_environment().data_dir() / file : std::filesystem::path(file);
    const auto grid = validate::parse_grid_file(config::load_json_file(path), file, o.layer.target);
    experiment.specs = grid.specs;
    experiment.grid = grid.name;
    layer.ranks = grid.specs.front().ranks;
  } else {
    experiment.specs = validate::layer_spec_grid(o.layer);
  }
  experiment.warmup = o.warmup;
  experiment.repeats = o.repeats;
  experiment.comm = o.comm;
  experiment.label = o.label;
  validate::check_layer_specs(experiment.specs, /*any_target=*/true);
  if (!o.out.empty()) require_output_directory(o.out);
  const std::filesystem::path device =
      o.profile.empty() ? (o.layer.target == "cuda" ? "traces/measured/cuda-calibrated-device.json" : "hardware/host-cpu.json")
                        : o.profile;
  if (o.oracle && (!o.measured.empty() || o.layer.target != "cpu"))
    throw UsageError("--oracle measures and calibrates on the CPU: not with --measured or --target cuda");
  if (!o.measured.empty()) {
    validate::RecordedReference reference(o.measured, device, o.cluster);
    write_output(o, validate::run_experiment(experiment, reference));
    return 0;
  }
  if (o.layer.target == "cuda") {
    validate::CudaReference reference(device, o.cluster, tool_info());
    write_output(o, validate::run_experiment(experiment, reference));
    return 0;
  }
  // Checked here, before mpirun starts the ranks: calibration may have to write the profile.
  require_output_directory(device.string());
  if (!o.cluster.empty()) require_output_directory(o.cluster);
  if (auto code = validate::relaunch_cpu_ranks(layer.ranks)) return *code;
  validate::CpuReferenceOptions c;
  c.device = device;
  c.cluster = o.cluster;
  c.quick_calibration = o.calibration == "quick";
  c.max_age_h = o.max_age_h;
  c.recalibrate = o.recalibrate;
  c.oracle = o.oracle;
  validate::CpuReference reference(c, tool_info(), write_file_atomically);
  write_output(o, validate::run_experiment(experiment, reference));
  return 0;
}

}  // namespace

void setup_validate(CLI::App& app, Action& action) {
  auto o = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Measure a Switch layer with a reference implementation (like `measure`) and predict it with the\n"
      "simulator's layer model on a calibrated profile; print per-phase predicted and measured times and\n"
      "err = predicted / measured - 1, then the median and max |err| of the step time over the grid.\n"
      "--target cpu: profile --profile (default hardware/host-cpu.json) and its cluster file\n"
      "NAME-cluster-RANKS.json; predictions come from that saved profile alone (calibrate's fixed grid, the\n"
      "kernel model interpolating between its points), never from the configs' own shapes. The profile is\n"
      "(re)calibrated when missing or older than --max-profile-age-h (--calibration full or quick), the fixed\n"
      "grid's rounds alternating with the layer's timed rounds (a drifting machine is then the same machine\n"
      "for both). --oracle: a diagnostic that also calibrates every config's own GEMM shapes in those rounds.\n"
      "The output says which. Runs under mpirun like `measure`.\n"
      "--target cuda: bf16 on RANKS GPUs, --profile from `calibrate --target cuda`; exit 3 without a GPU.\n"
      "--measured FILE: predict the rows of an earlier `measure --json` file instead of measuring.\n"
      "JSON rows (--json) are measure's rows plus <phase>_time_s, step_time_s, err_<phase>, err_step_time and,\n"
      "for a profile with spreads, step_time_s_lo/_hi (the prediction at its p90/p10 rates) and\n"
      "measured_within_band,\n"
      "readable by `switchsim report DIR --measured FILE`. Timings: not byte-identical between runs.\n"
      "A skewed --routing (zipf:S, hot:F) is predicted from the per-expert load the reference measured.\n"
      "Example: switchsim validate --target cpu --experts 4,8 --capacity-factor 1.0,2.0 --json\n"
      "         switchsim validate --target cpu --held-out --json --out traces/measured/host-held-out.json\n"
      "         switchsim validate --measured traces/measured/host-vm.json --profile hardware/host-vm.json\n"
      "         switchsim validate --published --json --out runs/published.json   # published nccl-tests, papers");
  cmd->add_option("--target", o->layer.target, "cpu (OpenBLAS + MPI) or cuda (GPUs) (default cpu)");
  add_layer_grid_options(cmd, o->layer, /*routing=*/true, /*aux=*/false);
  cmd->add_option("--grid", o->grid,
                  "Validate the layers of this grid file (validate/grid_file.hpp: name, ranks, configs) instead of\n"
                  "the list options");
  cmd->add_flag("--held-out", o->held_out,
                "Validate the shipped held-out grid traces/held-out/cpu-held-out.json: 48 layers whose widths are\n"
                "not calibration grid points (experts 2..64, cf 0.5..2, top-1/2, capacity/dropless, skewed routing)");
  cmd->add_option("--warmup", o->warmup, "Untimed iterations before timing (default 2)");
  cmd->add_option("--repeats", o->repeats, "Timed iterations (default 8)");
  cmd->add_option("--profile", o->profile,
                  "Calibrated device file (default hardware/host-cpu.json; cuda: "
                  "traces/measured/cuda-calibrated-device.json)");
  cmd->add_option("--cluster", o->cluster,
                  "Cluster file (default: NAME-cluster-RANKS.json next to the profile, NAME its device's name, as "
                  "calibrate writes it)");
  cmd->add_option("--calibration", o->calibration, "quick or full, when calibrating first (default full)");
  cmd->add_option("--max-profile-age-h", o->max_age_h, "Recalibrate a profile older than this, hours (default 24)");
  cmd->add_flag("--recalibrate", o->recalibrate, "Calibrate first even when the profile is recent");
  cmd->add_flag("--oracle", o->oracle,
                "cpu diagnostic: calibrate every config's own GEMM shapes and message sizes too, in the same rounds, each\n"
                "config's shapes sampled right before its layer runs (both see the machine at the same speed), into\n"
                "NAME-oracle.json beside the profile, and predict from that (composition error alone); rows also get\n"
                "profile_step_time_s / profile_err_step_time from the same calibration's fixed grid alone");
  cmd->add_option("--comm", o->comm, "All-to-all model: closed-form or flow (default closed-form)");
  cmd->add_option("--measured", o->measured, "Predict the rows of this measure/validate JSON file, do not measure");
  auto* published = cmd->add_option("--published", o->published_file,
                                    "Predict the table of published real-hardware measurements in FILE (default\n"
                                    "traces/published/measurements.json) with the shipped profiles: per-row err and the\n"
                                    "median and worst |err|; measures nothing")
                        ->expected(0, 1);
  cmd->add_option("--label", o->label, "A note stored in the context block as \"label\" (e.g. \"trial, busy machine\")");
  cmd->add_flag("--json", o->json, "Print JSON {context, summary, results} instead of a text table");
  cmd->add_option("--out", o->out, "Write the output to FILE (atomically) instead of stdout");
  cmd->callback([o, published, &action] {
    o->published = published->count() > 0;  // with or without FILE
    action = [o] { return run_validate(*o); };
  });
}

}  // namespace switchsim::cli
