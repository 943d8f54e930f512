// `switchsim sweep`: simulate a grid of points (threads, and MPI ranks under mpirun), write
// DIR/results.json and DIR/results.csv (and, with --report, the report).

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/mpi_launch.hpp"
#include "cli/output.hpp"
#include "cli/report_writer.hpp"
#include "cli/scenario_options.hpp"
#include "cli/sweep_rows.hpp"
#include "config/catalog.hpp"
#include "ref/cpu/mpi_session.hpp"
#include "report/gnuplot.hpp"
#include "report/results_writer.hpp"
#include "sweep/grid.hpp"
#include "sweep/progress.hpp"
#include "sweep/runner.hpp"

namespace switchsim::cli {
namespace {

struct SweepOptions {
  model::Scenario base;
  std::string models, clusters, experts, capacity_factors, top_ks, batch_tokens, layouts, routings, paddings, dispatches;
  std::string grid_file;
  std::string network = "flow";
  std::string out;
  int threads = 0;
  std::int64_t ranks = 1;
  bool report = false;
  bool quiet = false;
};

sweep::Grid build_grid(const SweepOptions& o) {
  sweep::Grid g;
  if (!o.grid_file.empty()) {
    g = sweep::load_grid(o.grid_file);
  } else {
    if (o.models.empty() || o.clusters.empty())
      throw UsageError("sweep: give --model and --cluster (lists allowed), or --grid FILE");
    g.base = o.base;
  }
  try {
    if (!o.models.empty()) g.models = sweep::parse_string_list(o.models);
    if (!o.clusters.empty()) g.clusters = sweep::parse_string_list(o.clusters);
    if (!o.experts.empty()) g.experts = sweep::parse_int_list(o.experts, "--experts");
    if (!o.capacity_factors.empty()) g.capacity_factors = sweep::parse_double_list(o.capacity_factors, "--capacity-factor");
    if (!o.top_ks.empty()) g.top_ks = sweep::parse_int_list(o.top_ks, "--top-k");
    if (!o.batch_tokens.empty()) g.batch_tokens = sweep::parse_int_list(o.batch_tokens, "--batch-tokens");
    // Layouts contain commas, so a list of them is separated by ';'.
    if (!o.layouts.empty()) {
      g.layouts.clear();
      std::string item;
      for (char c : o.layouts + ";") {
        if (c == ';') {
          g.layouts.push_back(item);
          item.clear();
        } else {
          item += c;
        }
      }
    }
    if (!o.routings.empty()) g.routings = sweep::parse_string_list(o.routings);
    if (!o.paddings.empty()) g.paddings = sweep::parse_string_list(o.paddings);
    if (!o.dispatches.empty()) {
      g.dispatches = sweep::parse_string_list(o.dispatches);
      for (const auto& d : g.dispatches)
        if (d != "einsum" && d != "scatter" && d != "grouped")
          throw std::invalid_argument("--dispatch: expected einsum, scatter or grouped separated by commas, got '" + d + "'");
    }
    if (o.base.group_size) g.base.group_size = o.base.group_size;
    if (o.base.remat != "none") g.base.remat = o.base.remat;
    if (o.base.matmul_precision) g.base.matmul_precision = o.base.matmul_precision;
    if (o.base.router_dtype) g.base.router_dtype = o.base.router_dtype;
    if (o.base.compute_dtype) g.base.compute_dtype = o.base.compute_dtype;
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return g;
}

// Rank r of n takes points r, r + n, r + 2n, ...: a deterministic slice of the grid.
std::vector<std::int64_t> slice(std::int64_t points, int rank, int ranks) {
  std::vector<std::int64_t> indices;
  for (std::int64_t i = rank; i < points; i += ranks) indices.push_back(i);
  return indices;
}

// Gathers every rank's rows (as JSON text) on rank 0, in grid order.
std::vector<report::ResultRow> gather_rows(const std::vector<std::int64_t>& indices,
                                           const std::vector<report::ResultRow>& rows, int rank, int ranks) {
  nlohmann::ordered_json mine = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < rows.size(); ++i) mine.push_back({{"index", indices[i]}, {"row", report::to_json(rows[i])}});
  const std::string text = mine.dump();
  const int length = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(ranks));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  std::string all;
  if (rank == 0) {
    for (int r = 1; r < ranks; ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
    all.resize(static_cast<std::size_t>(offsets.back() + lengths.back()));
  }
  MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank != 0) return {};
  std::vector<std::pair<std::int64_t, nlohmann::json>> indexed;
  for (int r = 0; r < ranks; ++r) {
    const auto part = nlohmann::json::parse(all.substr(static_cast<std::size_t>(offsets[r]),
                                                       static_cast<std::size_t>(lengths[r])));
    for (const auto& entry : part) indexed.emplace_back(entry["index"].get<std::int64_t>(), entry["row"]);
  }
  std::sort(indexed.begin(), indexed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::json doc{{"context", nlohmann::json::object()}, {"results", nlohmann::json::array()}};
  for (auto& [index, row] : indexed) doc["results"].push_back(std::move(row));
  return report::parse_results(doc, "gathered sweep rows").results;
}

int run_sweep(const SweepOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  const auto grid = build_grid(o);
  if (!under_mpirun() && o.ranks > 1) {
    if (auto code = relaunch_under_mpirun(o.ranks)) return *code;
  }
  const std::filesystem::path dir(o.out);
  int rank = 0, ranks = 1;
  if (under_mpirun()) {
    ref::cpu::ensure_mpi_initialized();
    rank = ref::cpu::world_rank();
    ranks = ref::cpu::world_size();
  }
  std::error_code ec;
  if (rank == 0 && !std::filesystem::exists(dir, ec) && !std::filesystem::create_directories(dir, ec))
    throw UsageError(fmt::format("--out {}: cannot create the directory ({})", o.out, ec.message()));
  if (rank == 0 && !std::filesystem::is_directory(dir, ec))
    throw UsageError(fmt::format("--out {}: not a directory", o.out));

  const auto indices = slice(grid.size(), rank, ranks);
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string network = o.network;
  auto make_comm = [&network](const config::ClusterConfig& cluster) { return make_comm_model(cluster, network); };
  sweep::ProgressBar bar(fmt::format("sweep{}", ranks > 1 ? fmt::format(" rank {}/{}", rank, ranks) : ""),
                         !o.quiet && rank == 0 && sweep::ProgressBar::stderr_is_terminal());
  const auto outcomes = sweep::run_points(grid, indices, catalog, make_comm, threads,
                                          [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); });
  std::vector<report::ResultRow> rows;
  rows.reserve(outcomes.size());
  for (const auto& outcome : outcomes) rows.push_back(to_result_row(outcome));
  if (ranks > 1) rows = gather_rows(indices, rows, rank, ranks);
  if (rank != 0) return 0;

  // No date, host or thread count here: the same grid gives byte-identical files.
  report::RunContext context;
  context.entries = {{"tool", "switchsim 0.1.0"},
                     {"git_sha", source_git_sha()},
                     {"network", o.network},
                     {"points", std::to_string(grid.size())}};
  write_file_atomically(dir / "results.json", report::write_results_json(rows, context));
  write_file_atomically(dir / "results.csv", report::write_results_csv(rows, context));
  std::int64_t invalid = 0, oom = 0;
  for (const auto& row : rows) {
    invalid += row.valid ? 0 : 1;
    oom += row.outputs && row.outputs->oom ? 1 : 0;
  }
  fmt::print("{} points ({} invalid, {} out of memory) -> {}, {}\n", rows.size(), invalid, oom,
             (dir / "results.json").string(), (dir / "results.csv").string());
  if (o.report) {
    report::ResultsFile results{context, rows};
    try {
      for (const auto& path : write_report(dir, results, {}, report::ReportOptions{})) fmt::print("{}\n", path.string());
    } catch (const report::ToolError& e) {
      fmt::print(stderr, "error: {}\n", e.what());
      return 1;
    }
  }
  return 0;
}

}  // namespace

void setup_sweep(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Simulate a grid of points (the cartesian product of every list) and write DIR/results.json and\n"
      "DIR/results.csv (one row per point, units in the column names, invalid points say why).\n"
      "Runs points on --threads workers; under `mpirun -np N switchsim sweep ...` each rank takes a\n"
      "deterministic slice and rank 0 writes. Output is byte-identical for any thread or rank count.\n"
      "Example: switchsim sweep --model switch-base-128 --cluster dgx-h100-8,h100-fat-tree-1024 \\\n"
      "           --experts 8,16,32,64,128 --capacity-factor 1.0,1.25,2.0 --out runs/base --report\n"
      "         switchsim sweep --grid grid.json --out runs/grid");
  auto o = std::make_shared<SweepOptions>();
  cmd->add_option("--model", o->models, "Model names or files, comma-separated");
  cmd->add_option("--cluster", o->clusters, "Cluster names or files, comma-separated");
  cmd->add_option("--experts", o->experts, "Expert counts, e.g. 8,16,32 (default: the model's)");
  cmd->add_option("--capacity-factor", o->capacity_factors, "Capacity factors, e.g. 0.5,1.0,1.25,2.0 (default: the model's)");
  cmd->add_option("--top-k", o->top_ks, "Experts per token, e.g. 1,2 (default: the model's)");
  cmd->add_option("--batch-tokens", o->batch_tokens, "Input tokens per step, e.g. 262144,1048576 (default: 1048576)");
  cmd->add_option("--layout", o->layouts, "Layouts separated by ';', e.g. 'dp=8;dp=4,tp=2' (default: all data parallel)");
  cmd->add_option("--routing", o->routings, "Routings, e.g. uniform,zipf:1.1,hot:0.3 (default: uniform)");
  cmd->add_option("--padding", o->paddings, "capacity and/or dropless, comma-separated (default: capacity)");
  cmd->add_option("--dispatch", o->dispatches,
                  "einsum (GShard / Mesh TensorFlow one-hot mask einsums), scatter (index gather/scatter: Tutel, "
                  "DeepSpeed-MoE) and/or grouped (MegaBlocks dropless grouped GEMM), comma-separated: a sweep axis and "
                  "a results column (default: each device profile's, einsum on TPU, scatter on GPU)");
  cmd->add_option("--group-size", o->base.group_size,
                  "einsum dispatch: tokens per routing group S (default: 1024, Mesh TensorFlow's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--remat", o->base.remat,
                  "none, attention (Megatron selective recomputation) or full (jax.checkpoint per layer) (default: none)")
      ->check(CLI::IsMember({"none", "attention", "full"}));
  cmd->add_option("--matmul-precision", o->base.matmul_precision,
                  "TPU fp32 matmuls as 1 (default), 3 (high) or 6 (highest) bf16 passes, XLA's PrecisionConfig "
                  "(default: the profile's)")
      ->check(CLI::IsMember({"default", "high", "highest"}));
  cmd->add_option("--router-dtype", o->base.router_dtype, "fp32 (selective precision) or bf16 (default: the model's)");
  cmd->add_option("--compute-dtype", o->base.compute_dtype, "bf16, fp32 or tf32 (default: the model's, bf16)");
  cmd->add_option("--grid", o->grid_file, "A JSON grid file: {\"model\": [...], \"cluster\": [...], \"experts\": [...], ...}");
  cmd->add_option("--seed", o->base.seed, "Routing seed for every point (default: 1)");
  cmd->add_option("--seq-len", o->base.seq_len, "Input sequence length (default: the model's, 512)");
  cmd->add_option("--microbatches", o->base.microbatches, "Microbatches per step (default: 1)");
  cmd->add_option("--optimizer", o->base.optimizer, "adafactor or adam (default: adafactor)")
      ->check(CLI::IsMember({"adafactor", "adam"}));
  cmd->add_option("--network", o->network,
                  "flow (max-min flows on the cluster's topology) or closed-form (faster, no contention) (default: flow)")
      ->check(CLI::IsMember({"closed-form", "flow"}));
  cmd->add_option("--threads", o->threads, "Worker threads per rank (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--ranks", o->ranks,
                  "MPI ranks: relaunches itself under mpirun -np N (default: 1; under mpirun: the world size)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", o->out, "Output directory (created if missing)")->required();
  cmd->add_flag("--report", o->report, "Also write report.md, report.html and the plots into the directory");
  cmd->add_flag("--quiet", o->quiet, "No progress bar (it is also off when stderr is not a terminal)");
  cmd->callback([o, &action] { action = [o] { return run_sweep(*o); }; });
}

}  // namespace switchsim::cli
