#include "validate/cpu_reference.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "model/layer_prediction.hpp"
#include "mpi/session.hpp"
#include "ref/cpu/calibrator.hpp"
#include "ref/cpu/cpu_time.hpp"
#include "ref/cpu/host_info.hpp"
#include "ref/cpu/layer_runner.hpp"
#include "validate/cpu_calibration.hpp"
#include "validate/cpu_rows.hpp"
#include "validate/cpu_runtime.hpp"
#include "validate/errors.hpp"
#include "validate/machine_state.hpp"
#include "validate/paired_schedule.hpp"
#include "validate/prediction.hpp"
#include "validate/profile.hpp"

namespace switchsim::validate {
namespace {

// What a calibration for `specs` must measure: calibrate's fixed grid, and with `oracle` also
// every GEMM shape the layer model asks about, every all-to-all message size, and streaming
// arrays the size of a typical [tokens, d_model] activation. Without `oracle` nothing depends on
// the configs: predictions interpolate between the grid's points.
// `uses` gets, per config, where its shapes stand in the plan's (empty without `oracle`).
ref::cpu::CalibrationPlan calibration_for(const std::vector<ref::LayerSpec>& specs, bool quick, std::int64_t rounds,
                                          bool oracle, std::vector<std::vector<std::size_t>>& uses) {
  auto plan = ref::cpu::default_plan(quick);
  plan.rounds = rounds;
  uses.clear();
  if (!oracle) return plan;
  std::vector<std::int64_t> sizes, activations;
  for (const auto& s : specs) {
    const auto scenario = scenario_of(s);
    std::vector<ref::cpu::GemmDims> shapes;
    for (const auto& g : model::layer_gemm_shapes(scenario, ref::cpu::kCpuGemmTile))
      shapes.push_back({g.m, g.n, g.k, g.transposed_b});
    uses.push_back(ref::cpu::add_gemm_shapes(plan, shapes));
    const auto work = model::plan_layer(scenario);
    const std::int64_t peer_bytes =
        work.alltoall.op == model::CommOp::alltoall
            ? work.alltoall.bytes_per_rank.count() / s.ranks
            : s.tokens_per_rank * s.top_k * s.d_model * static_cast<std::int64_t>(sizeof(float)) / s.ranks;
    sizes.push_back(std::max<std::int64_t>(1, peer_bytes));
    activations.push_back(s.tokens_per_rank * s.d_model * static_cast<std::int64_t>(sizeof(float)));
  }
  ref::cpu::add_alltoall_sizes(plan, sizes);
  std::nth_element(activations.begin(), activations.begin() + static_cast<std::ptrdiff_t>(activations.size() / 2),
                   activations.end());
  plan.stream_bytes = std::max<std::int64_t>(64 << 10, activations[activations.size() / 2]);
  return plan;
}

// CPU time from construction to others_share(): the machine's (/proc/stat) and each rank's own.
class CpuCount {
 public:
  CpuCount() : machine_(ref::cpu::read_proc_stat()), own_s_(ref::cpu::own_cpu_seconds()) {}

  // Collective over the world. On rank 0: the share of its host's CPU time that processes other
  // than the ranks on that host used since construction (the ranks elsewhere run on CPUs its
  // /proc/stat does not count); nullopt elsewhere or where /proc/stat can't be read.
  std::optional<double> others_share() const {
    const double own = ref::cpu::own_cpu_seconds() - own_s_;
    const auto machine_now = ref::cpu::read_proc_stat();
    MPI_Comm host = MPI_COMM_NULL;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, mpi::world_rank(), MPI_INFO_NULL, &host);
    double host_own = 0;
    MPI_Reduce(&own, &host_own, 1, MPI_DOUBLE, MPI_SUM, 0, host);
    MPI_Comm_free(&host);
    if (mpi::world_rank() != 0 || !machine_ || !machine_now) return std::nullopt;
    return validate::others_cpu_share(machine_now->busy - machine_->busy, machine_now->elapsed - machine_->elapsed,
                                      host_own, ref::cpu::clock_ticks_per_second());
  }

 private:
  std::optional<ref::cpu::CpuTicks> machine_;
  double own_s_;
};

// Load before (the context's) and after the run, other work's share of the CPUs during it, and
// the drift of the calibration's rounds.
validate::MachineState machine_state(const nlohmann::json& context, const ref::cpu::Calibrator* calibrator,
                                     std::int64_t ranks, std::optional<double> others_cpu_share) {
  validate::MachineState m;
  m.others_cpu_share = others_cpu_share;
  m.load_before = validate::one_minute_load(context.value("load_average_1_5_15min", std::string()));
  m.load_after = validate::one_minute_load(context.value("load_average_after", std::string()));
  m.cores = static_cast<std::int64_t>(std::max(1U, std::thread::hardware_concurrency()));
  m.own_threads = ranks * rank_blas_threads(ranks);
  // Every shape is sampled once a round (run_round), so every shape's samples span the rounds.
  if (calibrator != nullptr) m.drift = validate::round_drift(validate::round_speed_index(calibrator->gemm_samples()));
  return m;
}

}  // namespace

CpuReference::CpuReference(CpuReferenceOptions options, ToolInfo tool, WriteFile write)
    : o_(std::move(options)), tool_(std::move(tool)), write_(std::move(write)) {}

ReferenceRun CpuReference::run(const Experiment& e) {
  const auto& specs = e.specs;
  if (specs.empty()) throw RequestError("no layers to measure");
  const std::int64_t ranks = specs.front().ranks;
  mpi::ensure_mpi_initialized();
  if (mpi::world_size() != ranks)
    throw RequestError(fmt::format("--ranks {} but the MPI world has {} ranks", ranks, mpi::world_size()));
  const bool root = mpi::world_rank() == 0;
  const auto& device = o_.device;
  const std::string calibration = o_.quick_calibration ? "quick" : "full";
  // --oracle calibrates into its own files next to the profile (NAME-oracle.json), so the saved
  // fixed-grid profile stays what `calibrate` wrote.
  const auto saved = cpu_calibration_files(device, o_.cluster, profile_name(device), ranks);
  const auto oracle_device = device.parent_path() / (profile_name(device) + "-oracle.json");
  const auto files = o_.oracle ? cpu_calibration_files(oracle_device, "", profile_name(oracle_device), ranks) : saved;

  // Rank 0 decides whether to calibrate; every rank takes part in the calibration.
  std::string reason;
  if (root) {
    if (o_.oracle) {
      reason = "--oracle: each config's own GEMM shapes";
    } else if (o_.recalibrate) {
      reason = "--recalibrate";
    } else if (!std::filesystem::exists(files.device)) {
      reason = "no profile at " + files.device.string();
    } else if (!std::filesystem::exists(files.cluster)) {
      reason = "no cluster file " + files.cluster.string();
    } else if (const auto age = profile_age_hours(files.device); age && *age > o_.max_age_h) {
      reason = fmt::format("profile calibrated {:.1f} h ago (more than {} h)", *age, o_.max_age_h);
    }
  }
  int calibrate = reason.empty() ? 0 : 1;
  MPI_Bcast(&calibrate, 1, MPI_INT, 0, MPI_COMM_WORLD);

  set_rank_blas_threads(ranks);
  auto context = measure_context(ranks, tool_);  // before the runs: "load" says how busy it was
  const CpuCount cpu_count;
  // The calibration alternates with the measurement: on a machine whose speed drifts over
  // seconds, a calibration taken before the measurement describes another machine. With the
  // fixed grid a round samples every shape once, then times every config once. The oracle pairs
  // (validate/paired_schedule.hpp): a round samples config c's own shapes, runs c
  // (and the previous config) untimed, then c timed, then the next config, and the shapes no
  // config uses last. Either way a timed iteration follows untimed ones: the shapes' samples sweep
  // the caches and pages the layer uses (a sweep of a config's own shapes right before its timed
  // iteration, the oracle until 2026-12-03, measured the layers 5-15% slower), and a layer in
  // training runs after its previous iteration, not after a sweep.
  std::optional<ref::cpu::Calibrator> calibrator;
  std::optional<PairedShapes> paired;
  if (calibrate) {
    std::vector<std::vector<std::size_t>> uses;
    calibrator.emplace(calibration_for(specs, o_.quick_calibration, e.repeats, o_.oracle, uses), MPI_COMM_WORLD);
    if (o_.oracle) paired = pair_shapes_with_configs(uses, calibrator->plan().gemm.size());
    calibrator->run_point_to_point();
    calibrator->run_round(/*record=*/false);
  }
  ref::cpu::LayerBench bench(specs, MPI_COMM_WORLD);
  for (std::int64_t i = 0; i < e.warmup; ++i) bench.run_round(false);
  for (std::int64_t r = 0; r < e.repeats; ++r) {
    if (paired) {
      const std::size_t n = bench.size();
      for (std::size_t c = 0; c < n; ++c) {
        calibrator->run_gemm_shapes(paired->per_config[c], /*record=*/true);
        bench.run_one(c, false);
        // Another layer's iteration between c's two, as in the fixed grid's rounds (c after c - 1)
        // and in a model, where other layers run between two iterations of one: right after its
        // own untimed iteration a small layer's data is still in the caches, and the small
        // configs ran 5-9% faster than the calibration's out-of-cache rates price them.
        if (n > 1) bench.run_one((c + n - 1) % n, false);
        bench.run_one(c, true);
      }
      calibrator->run_gemm_shapes(paired->rest, /*record=*/true);
      calibrator->run_memory_and_network(/*record=*/true);
      continue;
    }
    if (calibrator) {
      calibrator->run_round();
      bench.run_round(false);
    }
    bench.run_round(true);
  }
  const auto others_cpu_share = cpu_count.others_share();  // the measuring time only, not the writing
  ReferenceRun run;
  run.root = root;
  if (calibrator) {
    write_cpu_calibration(*calibrator, profile_name(files.device), files, write_);
    const auto& measured = calibrator->plan();
    run.profile_line = fmt::format(
        "profile {} calibrated now ({} calibration: {} GEMM shapes, {} all-to-all sizes, {}-byte streaming arrays, "
        "{} rounds interleaved with the measurement, {}; {})",
        files.device.string(), calibration, measured.gemm.size(), measured.alltoall_bytes.size(),
        measured.stream_bytes, e.repeats,
        o_.oracle ? "ORACLE: the configs' own shapes and message sizes beside the grid's"
                  : "the fixed grid only, predictions interpolate between its points",
        reason);
  } else if (root) {
    run.profile_line = fmt::format("profile {} (calibrated {:.1f} h ago, reused)", files.device.string(),
                                   profile_age_hours(files.device).value_or(0));
  }
  for (const auto& r : bench.results()) run.rows.push_back(cpu_row(r, e.warmup));
  if (!root) return run;
  run.specs = specs;
  context["schedule"] = fmt::format(
      "{} configs in interleaved rounds{}", specs.size(),
      paired ? ", each config's own calibration shapes sampled right before it, each timed iteration after an "
               "untimed one of the same config and one of the config before it"
      : calibrator ? ", alternating with the calibration's, each timed layer round after an untimed one"
                   : "");
  const auto after = ref::cpu::host_info();
  context["load_average_after"] = after.load_average;
  context["date_utc_after"] = after.date_utc;
  context["profile_file"] = files.device.string();  // read back by the offline held-out test
  context["machine"] = validate::to_json(machine_state(context, calibrator ? &*calibrator : nullptr, ranks, others_cpu_share));
  run.context = std::move(context);
  run.cluster = load_profile(files.device, files.cluster);
  if (o_.oracle) {
    run.grid_profile = fixed_grid_only(run.cluster);
    run.grid_profile_note =
        "profile_step_time_s, profile_err_step_time: this run's calibration cut to calibrate's fixed grid, the kernel "
        "model interpolating between its points as from a saved profile (the same minutes of the machine as the "
        "oracle's: the two columns differ by the interpolation alone)";
  }
  return run;
}

}  // namespace switchsim::validate
