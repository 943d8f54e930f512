// `switchsim validate --target cpu|cuda ...`: measure a Switch layer with a reference
// implementation, predict it with model::predict_layer on a calibrated device profile, and
// report err = predicted / measured - 1 per phase and for the step, with the median and max
// |err_step_time| over the grid. `--measured FILE` predicts the rows of an earlier `measure`
// (or `validate`) file instead of measuring again.

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/cpu_calibration.hpp"
#include "cli/cuda_rows.hpp"
#include "cli/layer_grid.hpp"
#include "cli/measure_context.hpp"
#include "cli/measure_rows.hpp"
#include "cli/mpi_launch.hpp"
#include "cli/output.hpp"
#include "config/catalog.hpp"
#include "config/device_band.hpp"
#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "model/cuda_layer_prediction.hpp"
#include "model/layer_prediction.hpp"
#include "ref/cpu/calibrator.hpp"
#include "ref/cpu/host_info.hpp"
#include "ref/cpu/layer_runner.hpp"
#include "ref/cpu/mpi_session.hpp"
#include "report/validation_errors.hpp"
#include "validate/machine_state.hpp"
#include "validate/published.hpp"

namespace switchsim::cli {
namespace {

LayerGridOptions validate_grid_defaults() {
  LayerGridOptions g;
  g.experts = {4, 8};
  g.capacity_factor = {1.0, 2.0};
  g.tokens = {2048};
  g.d_ff = {512};
  // Routing stays uniform and the aux loss on: the reference's skew knobs are logit biases, the
  // layer model's are load shares, so a skewed comparison would compare two different inputs.
  g.routing = "uniform";
  g.aux_loss = true;
  return g;
}

struct ValidateOptions {
  LayerGridOptions layer = validate_grid_defaults();
  std::int64_t warmup = 2;
  std::int64_t repeats = 8;
  std::string profile;  // default per target
  std::string cluster;
  std::string calibration = "full";
  double max_age_h = 24;
  bool recalibrate = false;
  bool oracle = false;  // calibrate each config's own shapes next to its runs (a diagnostic)
  std::string comm = "closed-form";
  std::string measured;
  bool published = false;      // --published [FILE]: predict a table of published measurements instead
  std::string published_file;  // empty: the shipped table
  bool json = false;
  std::string out;
};

// ---- the profile ----------------------------------------------------------------------------

// When the device file was calibrated: the first ISO date in its "sources" (calibrate writes
// "measured by switchsim calibrate ... on HOST DATE"), else the file's modification time.
// The first "YYYY-MM-DDTHH:MM:SSZ" in `text` as broken-down UTC time. (A hand scan, not
// std::regex: GCC 12 under ASan reports false maybe-uninitialized warnings inside <regex>.)
std::optional<std::tm> find_iso_date(const std::string& text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  for (std::size_t at = 0; at + kShape.size() <= text.size(); ++at) {
    bool match = true;
    for (std::size_t k = 0; k < kShape.size() && match; ++k) {
      const char c = text[at + k];
      match = kShape[k] == 'd' ? (c >= '0' && c <= '9') : c == kShape[k];
    }
    if (!match) continue;
    auto number = [&](std::size_t offset, std::size_t digits) { return std::stoi(text.substr(at + offset, digits)); };
    std::tm tm{};
    tm.tm_year = number(0, 4) - 1900;
    tm.tm_mon = number(5, 2) - 1;
    tm.tm_mday = number(8, 2);
    tm.tm_hour = number(11, 2);
    tm.tm_min = number(14, 2);
    tm.tm_sec = number(17, 2);
    return tm;
  }
  return std::nullopt;
}

// The calibration date of a device file: the first ISO date in its "sources" (calibrate writes
// "measured by switchsim calibrate ... on HOST DATE").
std::optional<std::tm> calibration_date(const std::filesystem::path& device_file) {
  const auto json = config::load_json_file(device_file);
  if (json.contains("sources") && json["sources"].is_object())
    for (const auto& [key, value] : json["sources"].items()) {
      if (!value.is_string()) continue;
      if (auto tm = find_iso_date(value.get<std::string>())) return tm;
    }
  return std::nullopt;
}

// How long ago the device file was calibrated (its calibration date, else its modification time).
std::optional<double> profile_age_hours(const std::filesystem::path& device_file) {
  if (auto tm = calibration_date(device_file)) {
    const std::time_t then = timegm(&*tm);
    return std::difftime(std::time(nullptr), then) / 3600.0;
  }
  const auto written = std::filesystem::last_write_time(device_file);
  const auto age = std::filesystem::file_time_type::clock::now() - written;
  return std::chrono::duration<double>(age).count() / 3600.0;
}

std::string profile_name(const std::filesystem::path& device_file) { return device_file.stem().string(); }

struct Profile {
  config::ClusterConfig cluster;
  std::string provenance;  // how it came about, for the output
};

Profile load_profile(const std::filesystem::path& device_file, const std::filesystem::path& cluster_file) {
  const auto catalog = config::Catalog::from_environment();
  Profile p;
  p.cluster = catalog.cluster(cluster_file.string());
  p.cluster.device = catalog.device(device_file.string());
  return p;
}

// ---- prediction -----------------------------------------------------------------------------

model::LayerScenario scenario_of(const ref::LayerSpec& s) {
  model::LayerScenario sc;
  sc.d_model = s.d_model;
  sc.d_ff = s.d_ff;
  sc.ffn = s.ffn == "geglu" ? config::FfnKind::geglu : config::FfnKind::relu;
  sc.experts = s.experts;
  sc.top_k = s.top_k;
  sc.capacity_factor = s.capacity_factor;
  sc.tokens_per_rank = s.tokens_per_rank;
  sc.ranks = s.ranks;
  sc.min_capacity = s.min_capacity;
  sc.padding = s.padding == "dropless" ? model::Padding::dropless : model::Padding::capacity;
  sc.routing = model::parse_routing(s.routing);
  sc.seed = s.seed;
  sc.dtype = parse_dtype(s.dtype);
  sc.router_dtype = parse_dtype(s.router_dtype);
  return sc;
}

// Adds the predicted <phase>_time_s, forward/backward/step_time_s and err_* to a measured row.
void add_prediction(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                    const std::string& comm_kind) {
  if (spec.ranks > cluster.devices)
    throw UsageError(fmt::format("the profile's cluster {} has {} ranks but the layer runs on {}; calibrate with "
                                 "--ranks {}",
                                 cluster.name, cluster.devices, spec.ranks, spec.ranks));
  // Each reference is predicted with its own algorithm: the CUDA one kernel by kernel.
  auto predict = [&spec](const config::ClusterConfig& c, model::CommModel& m) {
    return spec.target == "cuda" ? model::predict_cuda_layer(scenario_of(spec), c, m)
                                 : model::predict_layer(scenario_of(spec), c, m);
  };
  auto comm = make_comm_model(cluster, comm_kind);
  model::LayerPrediction p;
  try {
    p = predict(cluster, *comm);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  auto put = [&](const std::string& name, Picoseconds t) {
    const double predicted = t.seconds();
    row[name + "_time_s"] = predicted;
    const auto measured = row.value("measured_" + name + "_time_s", 0.0);
    const auto err = report::relative_error(predicted, measured);
    row["err_" + name + (name == "step" ? "_time" : "")] = err ? nlohmann::json(*err) : nlohmann::json(nullptr);
  };
  for (auto phase : ref::kLayerPhases) put(std::string(phase), p.phase.at(std::string(phase)));
  put("forward", p.forward);
  put("backward", p.backward);
  put("step", p.step);
  row["predicted_capacity"] = p.capacity;
  row["predicted_dropped_token_frac"] = p.dropped_token_frac;
  // The uncertainty band: the same prediction on the device at the fast and slow ends of its
  // calibrated spreads (p90 and p10 rates). The network's figures have no spread in the files.
  if (!config::has_bands(cluster.device)) return;
  auto at_edge = [&](config::BandEdge edge) {
    auto c = cluster;
    c.device = config::at_band_edge(cluster.device, edge);
    auto edge_comm = make_comm_model(c, comm_kind);
    return predict(c, *edge_comm).step.seconds();
  };
  const double lo = at_edge(config::BandEdge::fast), hi = at_edge(config::BandEdge::slow);
  row["step_time_s_lo"] = lo;
  row["step_time_s_hi"] = hi;
  const double measured = row.value("measured_step_time_s", 0.0);
  row["measured_within_band"] = measured >= lo && measured <= hi;
}

// `validate --oracle`: the step time the saved profile predicts, beside the oracle's.
void add_profile_columns(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                         const std::string& comm_kind) {
  auto comm = make_comm_model(cluster, comm_kind);
  const double predicted = model::predict_layer(scenario_of(spec), cluster, *comm).step.seconds();
  row["profile_step_time_s"] = predicted;
  const auto err = report::relative_error(predicted, row.value("measured_step_time_s", 0.0));
  row["profile_err_step_time"] = err ? nlohmann::json(*err) : nlohmann::json(nullptr);
}

ref::LayerSpec spec_of_row(const nlohmann::json& row, const std::string& file, const std::string& pointer) {
  config::ObjectReader r(row, file, pointer);
  ref::LayerSpec s;
  s.target = r.string_or("target", "cpu");
  s.ranks = r.positive_int("ranks");
  s.experts = r.positive_int("experts");
  s.capacity_factor = r.positive_number("capacity_factor");
  s.tokens_per_rank = r.positive_int("tokens_per_rank");
  s.d_model = r.positive_int("d_model");
  s.d_ff = r.positive_int("d_ff");
  s.ffn = r.choice_or("ffn", {"relu", "geglu"}, "relu");
  s.top_k = r.positive_int_or("top_k", 1);
  s.padding = r.choice_or("padding", {"capacity", "dropless"}, "capacity");
  s.dtype = r.string_or("dtype", "fp32");
  s.router_dtype = r.string_or("router_dtype", "fp32");
  s.routing = r.string_or("routing", "uniform");
  s.seed = static_cast<std::uint64_t>(r.non_negative_int_or("seed", 1));
  s.min_capacity = r.positive_int_or("min_capacity", 4);
  (void)r.positive_number("measured_step_time_s");
  return s;
}

// ---- output ---------------------------------------------------------------------------------

double at_or_nan(const nlohmann::json& row, const std::string& key) {
  return row.contains(key) && row[key].is_number() ? row[key].get<double>() : std::nan("");
}

std::string text_report(const std::vector<nlohmann::json>& rows, const nlohmann::json& summary,
                        const std::string& profile_line) {
  std::string out = profile_line + "\n";
  for (const auto& r : rows) {
    out += fmt::format("experts {}, capacity_factor {}, tokens/rank {}, d_model {}, d_ff {}, {}, ranks {}, capacity {}\n",
                       r["experts"].get<std::int64_t>(), r["capacity_factor"].get<double>(),
                       r["tokens_per_rank"].get<std::int64_t>(), r["d_model"].get<std::int64_t>(),
                       r["d_ff"].get<std::int64_t>(), r["ffn"].get<std::string>(), r["ranks"].get<std::int64_t>(),
                       r["capacity"].get<std::int64_t>());
    out += fmt::format("  {:<18} {:>14} {:>13} {:>9}\n", "phase (fwd+bwd)", "predicted_ms", "measured_ms", "err");
    auto line = [&](const std::string& name, const std::string& err_key) {
      out += fmt::format("  {:<18} {:>14.4f} {:>13.4f} {:>+9.3f}\n", name, at_or_nan(r, name + "_time_s") * 1e3,
                         at_or_nan(r, "measured_" + name + "_time_s") * 1e3, at_or_nan(r, err_key));
    };
    for (auto phase : ref::kLayerPhases) line(std::string(phase), "err_" + std::string(phase));
    line("forward", "err_forward");
    line("backward", "err_backward");
    line("step", "err_step_time");
    if (r.contains("step_time_s_lo"))
      out += fmt::format("  {:<18} {:>14} {:>13} {:>9}\n", "step band",
                         fmt::format("{:.4f}..{:.4f}", r["step_time_s_lo"].get<double>() * 1e3,
                                     r["step_time_s_hi"].get<double>() * 1e3),
                         "", r["measured_within_band"].get<bool>() ? "inside" : "outside");
  }
  out += fmt::format("step time over {} configs: median |err| {:.3f}, max |err| {:.3f} ({})\n",
                     summary["configs"].get<std::size_t>(), summary["median_abs_err_step_time"].get<double>(),
                     summary["max_abs_err_step_time"].get<double>(), summary["max_abs_err_config"].get<std::string>());
  if (summary.contains("measured_within_band"))
    out += fmt::format("measured step time inside the predicted band (calibrated p10..p90 rates): {} of {}\n",
                       summary["measured_within_band"].get<std::size_t>(), summary["configs"].get<std::size_t>());
  std::string phases;
  for (const auto& [phase, median] : summary["median_abs_err_phase"].items())
    phases += fmt::format(" {} {:.3f}", phase, median.get<double>());
  out += "median |err| per phase:" + phases + "\n";
  if (summary.contains("profile_median_abs_err_step_time"))
    out += fmt::format("the saved profile alone (no per-config calibration): median |err| {:.3f}, max |err| {:.3f}\n",
                       summary["profile_median_abs_err_step_time"].get<double>(),
                       summary["profile_max_abs_err_step_time"].get<double>());
  return out;
}

nlohmann::json summarize(const std::vector<nlohmann::json>& rows) {
  std::vector<double> step;
  for (const auto& r : rows) step.push_back(at_or_nan(r, "err_step_time"));
  const auto s = report::summarize_errors(step);
  const auto& worst = rows[s.max_index];
  nlohmann::json j{{"configs", s.count},
                   {"median_abs_err_step_time", s.median_abs},
                   {"max_abs_err_step_time", s.max_abs},
                   {"max_abs_err_config", fmt::format("experts {} cf {} tokens/rank {}", worst["experts"].get<std::int64_t>(),
                                                      worst["capacity_factor"].get<double>(),
                                                      worst["tokens_per_rank"].get<std::int64_t>())}};
  nlohmann::json per_phase = nlohmann::json::object();
  for (auto phase : ref::kLayerPhases) {
    std::vector<double> errs;
    for (const auto& r : rows) errs.push_back(at_or_nan(r, "err_" + std::string(phase)));
    per_phase[std::string(phase)] = report::summarize_errors(errs).median_abs;
  }
  j["median_abs_err_phase"] = per_phase;
  if (std::all_of(rows.begin(), rows.end(), [](const nlohmann::json& r) { return r.contains("profile_err_step_time"); })) {
    std::vector<double> errs;
    for (const auto& r : rows) errs.push_back(at_or_nan(r, "profile_err_step_time"));
    const auto p = report::summarize_errors(errs);
    j["profile_median_abs_err_step_time"] = p.median_abs;
    j["profile_max_abs_err_step_time"] = p.max_abs;
  }
  if (std::all_of(rows.begin(), rows.end(), [](const nlohmann::json& r) { return r.contains("measured_within_band"); }))
    j["measured_within_band"] = std::count_if(rows.begin(), rows.end(), [](const nlohmann::json& r) {
      return r["measured_within_band"].get<bool>();
    });
  return j;
}

void write_output(const ValidateOptions& o, nlohmann::json context, const std::vector<nlohmann::json>& rows,
                  const std::string& profile_line) {
  auto summary = summarize(rows);
  std::string warnings;
  if (context.contains("machine")) {
    summary["machine_warnings"] = context["machine"]["warnings"];
    for (const auto& w : context["machine"]["warnings"]) warnings += "warning: " + w.get<std::string>() + "\n";
  }
  context["profile"] = profile_line;
  context["comm_model"] = o.comm;
  context["prediction"] = "model::predict_layer on the profile's device and cluster; err_* = predicted / measured - 1";
  const std::string text = o.json ? nlohmann::json{{"context", context}, {"summary", summary}, {"results", rows}}.dump(2) + "\n"
                                  : warnings + text_report(rows, summary, profile_line);
  if (o.out.empty()) {
    fmt::print("{}", text);
  } else {
    write_file_atomically(o.out, text);
  }
}

// ---- the three ways to run ------------------------------------------------------------------

std::filesystem::path cluster_path(const ValidateOptions& o, const std::filesystem::path& device, std::int64_t ranks) {
  return cpu_calibration_files(device, o.cluster, profile_name(device), ranks).cluster;
}

int run_offline(const ValidateOptions& o, const std::filesystem::path& device) {
  if (!std::filesystem::exists(device))
    throw UsageError("--measured needs an existing --profile; " + device.string() + " does not exist");
  const auto document = config::load_json_file(o.measured);
  config::ObjectReader top(document, o.measured);
  const auto& results = top.array("results");
  if (results.empty()) throw UsageError(o.measured + " has no results");
  std::vector<nlohmann::json> rows;
  std::optional<Profile> profile;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto spec = spec_of_row(results[i], o.measured, "/results/" + std::to_string(i));
    if (!profile) profile = load_profile(device, cluster_path(o, device, spec.ranks));
    auto row = results[i];
    add_prediction(row, spec, profile->cluster, o.comm);
    rows.push_back(row);
  }
  // The calibration date, not its age: offline validation is a pure function of its files and
  // must print the same bytes whenever it runs.
  const auto date = calibration_date(device);
  char when[32] = "an unknown date";
  if (date) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &*date);
  nlohmann::json context = top.has("context") ? top.raw("context") : nlohmann::json::object();
  context["measured_file"] = o.measured;
  write_output(o, context, rows,
               fmt::format("profile {} (calibrated {}); measurements from {} (not re-measured)", device.string(),
                           when, o.measured));
  return 0;
}

int run_cuda(const ValidateOptions& o, const std::vector<ref::LayerSpec>& specs, const std::filesystem::path& device) {
  require_cuda_device();
  if (!std::filesystem::exists(device))
    throw UsageError("--target cuda needs a calibrated --profile (switchsim calibrate --target cuda --out " +
                     device.string() + ")");
  const auto catalog = config::Catalog::from_environment();
  // The calibrated device's own cluster (calibrate --target cuda writes NAME-cluster-GPUS.json
  // next to the profile), unless --cluster names another; the profile's device either way.
  const auto calibrated = catalog.device(device.string());
  const auto own_cluster = device.parent_path() / fmt::format("{}-cluster-{}.json", calibrated.name, o.layer.ranks);
  if (o.cluster.empty() && !std::filesystem::exists(own_cluster))
    throw UsageError(fmt::format("--target cuda: no cluster file {} for the profile {} (switchsim calibrate --target "
                                 "cuda writes it; or pass --cluster)",
                                 own_cluster.string(), device.string()));
  auto cluster = catalog.cluster(o.cluster.empty() ? own_cluster.string() : o.cluster);
  cluster.device = calibrated;
  const auto context = cuda_context();
  std::vector<nlohmann::json> rows;
  for (const auto& s : specs) {
    const auto spec = cuda_spec(s);
    auto row = measure_cuda_row(spec, o.warmup, o.repeats);
    add_prediction(row, spec, cluster, o.comm);
    rows.push_back(row);
  }
  write_output(o, context, rows, fmt::format("profile {} on cluster {}", device.string(), cluster.name));
  return 0;
}

// What a calibration for `specs` must measure besides the base grid: every GEMM shape the layer
// model asks about, every all-to-all message size, and streaming arrays the size of a typical
// [tokens, d_model] activation; and which shapes each config's prediction uses, so that they are
// sampled right before that config runs.
struct ValidationCalibration {
  ref::cpu::CalibrationPlan plan;
  std::vector<std::vector<std::size_t>> shapes_of_config;  // indices into plan.gemm
  std::vector<std::size_t> other_shapes;                   // the base grid's, used by no config
};

// Without `oracle` the plan is calibrate's fixed grid alone (nothing depends on the configs):
// every shape is sampled once a round, and predictions interpolate between the grid points.
ValidationCalibration calibration_for(const std::vector<ref::LayerSpec>& specs, bool quick, std::int64_t rounds,
                                      bool oracle) {
  ValidationCalibration c;
  c.plan = ref::cpu::default_plan(quick);
  c.plan.rounds = rounds;
  if (!oracle) {
    c.shapes_of_config.assign(specs.size(), {});
    for (std::size_t i = 0; i < c.plan.gemm.size(); ++i) c.other_shapes.push_back(i);
    return c;
  }
  std::vector<std::int64_t> sizes, activations;
  for (const auto& s : specs) {
    const auto scenario = scenario_of(s);
    std::vector<ref::cpu::GemmDims> shapes;
    for (const auto& g : model::layer_gemm_shapes(scenario, ref::cpu::kCpuGemmTile)) shapes.push_back({g.m, g.n, g.k});
    c.shapes_of_config.push_back(ref::cpu::add_gemm_shapes(c.plan, shapes));
    const auto work = model::plan_layer(scenario);
    const std::int64_t peer_bytes =
        work.alltoall.op == model::CommOp::alltoall
            ? work.alltoall.bytes_per_rank.count() / s.ranks
            : s.tokens_per_rank * s.top_k * s.d_model * static_cast<std::int64_t>(sizeof(float)) / s.ranks;
    sizes.push_back(std::max<std::int64_t>(1, peer_bytes));
    activations.push_back(s.tokens_per_rank * s.d_model * static_cast<std::int64_t>(sizeof(float)));
  }
  ref::cpu::add_alltoall_sizes(c.plan, sizes);
  std::nth_element(activations.begin(), activations.begin() + static_cast<std::ptrdiff_t>(activations.size() / 2),
                   activations.end());
  c.plan.stream_bytes = std::max<std::int64_t>(64 << 10, activations[activations.size() / 2]);
  std::vector<bool> used(c.plan.gemm.size(), false);
  for (const auto& indices : c.shapes_of_config)
    for (const auto i : indices) used[i] = true;
  for (std::size_t i = 0; i < used.size(); ++i)
    if (!used[i]) c.other_shapes.push_back(i);
  return c;
}

// Load before (the context's) and after the run, and the drift of the calibration's rounds
// (shapes sampled once a round only: an oracle's shared shapes are sampled more often).
validate::MachineState machine_state(const nlohmann::json& context, const ref::cpu::Calibrator* calibrator,
                                     std::int64_t ranks) {
  validate::MachineState m;
  m.load_before = validate::one_minute_load(context.value("load_average_1_5_15min", std::string()));
  m.load_after = validate::one_minute_load(context.value("load_average_after", std::string()));
  m.cores = static_cast<std::int64_t>(std::max(1U, std::thread::hardware_concurrency()));
  m.own_threads = ranks * rank_blas_threads(ranks);
  if (calibrator != nullptr) {
    const auto rounds = calibrator->result().rounds;
    std::vector<std::vector<double>> once_a_round;
    for (const auto& samples : calibrator->gemm_samples())
      if (static_cast<std::int64_t>(samples.size()) == rounds) once_a_round.push_back(samples);
    if (!once_a_round.empty()) m.drift = validate::round_drift(validate::round_speed_index(once_a_round));
  }
  return m;
}

int run_cpu(const ValidateOptions& o, const std::vector<ref::LayerSpec>& specs, const std::filesystem::path& device) {
  const std::int64_t ranks = o.layer.ranks;
  if (auto code = relaunch_under_mpirun(ranks)) return *code;
  ref::cpu::ensure_mpi_initialized();
  if (ref::cpu::world_size() != ranks)
    throw UsageError(fmt::format("--ranks {} but the MPI world has {} ranks", ranks, ref::cpu::world_size()));
  const bool root = ref::cpu::world_rank() == 0;
  // --oracle calibrates into its own files next to the profile (NAME-oracle.json), so the saved
  // fixed-grid profile stays what `calibrate` wrote.
  const auto saved = cpu_calibration_files(device, o.cluster, profile_name(device), ranks);
  const auto oracle_device = device.parent_path() / (profile_name(device) + "-oracle.json");
  const auto files = o.oracle ? cpu_calibration_files(oracle_device, "", profile_name(oracle_device), ranks) : saved;

  // Rank 0 decides whether to calibrate; every rank takes part in the calibration.
  std::string reason;
  if (root) {
    if (o.oracle) {
      reason = "--oracle: each config's own GEMM shapes";
    } else if (o.recalibrate) {
      reason = "--recalibrate";
    } else if (!std::filesystem::exists(files.device)) {
      reason = "no profile at " + files.device.string();
    } else if (!std::filesystem::exists(files.cluster)) {
      reason = "no cluster file " + files.cluster.string();
    } else if (const auto age = profile_age_hours(files.device); age && *age > o.max_age_h) {
      reason = fmt::format("profile calibrated {:.1f} h ago (more than {} h)", *age, o.max_age_h);
    }
  }
  int calibrate = reason.empty() ? 0 : 1;
  MPI_Bcast(&calibrate, 1, MPI_INT, 0, MPI_COMM_WORLD);

  set_rank_blas_threads(ranks);
  auto context = measure_context(ranks);  // before the runs: "load" says how busy it was
  // The calibration alternates with the measurement: each config's GEMM shapes are sampled right
  // before each of its timed iterations, the rest once a round. On a machine whose speed drifts
  // over seconds, a calibration taken before the measurement describes another machine.
  std::optional<ValidationCalibration> plan;
  std::optional<ref::cpu::Calibrator> calibrator;
  if (calibrate) {
    plan = calibration_for(specs, o.calibration == "quick", o.repeats, o.oracle);
    calibrator.emplace(plan->plan, MPI_COMM_WORLD);
    calibrator->run_point_to_point();
    calibrator->run_round(/*record=*/false);
  }
  ref::cpu::LayerBench bench(specs, MPI_COMM_WORLD);
  for (std::int64_t i = 0; i < o.warmup; ++i) bench.run_round(false);
  for (std::int64_t r = 0; r < o.repeats; ++r) {
    if (calibrator) {
      calibrator->run_gemm_shapes(plan->other_shapes);
      calibrator->run_memory_and_network();
    }
    for (std::size_t i = 0; i < bench.size(); ++i) {
      if (calibrator) calibrator->run_gemm_shapes(plan->shapes_of_config[i]);
      bench.run_one(i, true);
    }
  }
  std::string profile_line;
  if (calibrator) {
    write_cpu_calibration(*calibrator, profile_name(files.device), files);
    const auto& measured = calibrator->plan();
    profile_line = fmt::format(
        "profile {} calibrated now ({} calibration: {} GEMM shapes, {} all-to-all sizes, {}-byte streaming arrays, "
        "{} rounds interleaved with the measurement, {}; {})",
        files.device.string(), o.calibration, measured.gemm.size(), measured.alltoall_bytes.size(),
        measured.stream_bytes, o.repeats,
        o.oracle ? "ORACLE: each config's own shapes sampled next to its runs"
                 : "the fixed grid only, predictions interpolate between its points",
        reason);
  } else if (root) {
    profile_line = fmt::format("profile {} (calibrated {:.1f} h ago, reused)", files.device.string(),
                               profile_age_hours(files.device).value_or(0));
  }
  std::vector<nlohmann::json> rows;
  for (const auto& r : bench.results()) rows.push_back(cpu_row(r, o.warmup));
  if (!root) return 0;
  context["schedule"] = fmt::format("{} configs in interleaved rounds{}", specs.size(),
                                    calibrator ? ", alternating with the calibration's" : "");
  context["load_average_after"] = ref::cpu::host_info().load_average;
  context["machine"] = validate::to_json(machine_state(context, calibrator ? &*calibrator : nullptr, ranks));
  const auto profile = load_profile(files.device, files.cluster);
  for (std::size_t i = 0; i < rows.size(); ++i) add_prediction(rows[i], specs[i], profile.cluster, o.comm);
  // The oracle's error is composition alone; beside it, the saved profile's (kernel model too).
  if (o.oracle && std::filesystem::exists(saved.device) && std::filesystem::exists(saved.cluster)) {
    const auto grid = load_profile(saved.device, saved.cluster);
    for (std::size_t i = 0; i < rows.size(); ++i) add_profile_columns(rows[i], specs[i], grid.cluster, o.comm);
    context["profile_columns"] = "profile_step_time_s, profile_err_step_time: the saved profile " +
                                 saved.device.string() + " (no per-config calibration)";
  }
  write_output(o, context, rows, profile_line);
  return 0;
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
  const auto specs = layer_spec_grid(o.layer);
  check_layer_specs(specs, /*any_target=*/true);
  if (!o.out.empty()) require_output_directory(o.out);
  const std::filesystem::path device =
      o.profile.empty() ? (o.layer.target == "cuda" ? "traces/measured/cuda-calibrated-device.json" : "hardware/host-cpu.json")
                        : o.profile;
  if (o.oracle && (!o.measured.empty() || o.layer.target != "cpu"))
    throw UsageError("--oracle measures and calibrates on the CPU: not with --measured or --target cuda");
  if (!o.measured.empty()) return run_offline(o, device);
  if (o.layer.target == "cuda") return run_cuda(o, specs, device);
  // Checked here, before mpirun starts the ranks: calibration may have to write the profile.
  require_output_directory(device.string());
  if (!o.cluster.empty()) require_output_directory(o.cluster);
  return run_cpu(o, specs, device);
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
      "for both). --oracle: a diagnostic that calibrates every config's own GEMM shapes next to its runs.\n"
      "The output says which. Runs under mpirun like `measure`.\n"
      "--target cuda: bf16 on RANKS GPUs, --profile from `calibrate --target cuda`; exit 3 without a GPU.\n"
      "--measured FILE: predict the rows of an earlier `measure --json` file instead of measuring.\n"
      "JSON rows (--json) are measure's rows plus <phase>_time_s, step_time_s, err_<phase>, err_step_time and,\n"
      "for a profile with spreads, step_time_s_lo/_hi (the prediction at its p90/p10 rates) and\n"
      "measured_within_band,\n"
      "readable by `switchsim report DIR --measured FILE`. Timings: not byte-identical between runs.\n"
      "Example: switchsim validate --target cpu --experts 4,8 --capacity-factor 1.0,2.0 --json\n"
      "         switchsim validate --measured traces/measured/host-vm.json --profile hardware/host-vm.json\n"
      "         switchsim validate --published --json --out runs/published.json   # published nccl-tests, papers");
  cmd->add_option("--target", o->layer.target, "cpu (OpenBLAS + MPI) or cuda (GPUs) (default cpu)");
  add_layer_grid_options(cmd, o->layer, /*skew_and_aux=*/false);
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
                "cpu diagnostic: calibrate every config's own GEMM shapes and message sizes next to its runs, into\n"
                "NAME-oracle.json beside the profile, and predict from that (composition error alone); rows also get\n"
                "profile_step_time_s / profile_err_step_time from the saved profile when it exists");
  cmd->add_option("--comm", o->comm, "All-to-all model: closed-form or flow (default closed-form)");
  cmd->add_option("--measured", o->measured, "Predict the rows of this measure/validate JSON file, do not measure");
  auto* published = cmd->add_option("--published", o->published_file,
                                    "Predict the table of published real-hardware measurements in FILE (default\n"
                                    "traces/published/measurements.json) with the shipped profiles: per-row err and the\n"
                                    "median and worst |err|; measures nothing")
                        ->expected(0, 1);
  cmd->add_flag("--json", o->json, "Print JSON {context, summary, results} instead of a text table");
  cmd->add_option("--out", o->out, "Write the output to FILE (atomically) instead of stdout");
  cmd->callback([o, published, &action] {
    o->published = published->count() > 0;  // with or without FILE
    action = [o] { return run_validate(*o); };
  });
}

}  // namespace switchsim::cli
