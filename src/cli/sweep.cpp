// `switchsim sweep`: simulate a grid of points (threads, and MPI ranks under mpirun), write
// DIR/results.json and DIR/results.csv (and, with --report, the report) as one set
// (sweep/publish.hpp). Each finished point goes to a journal in DIR as it finishes
// (sweep/journal.hpp), so a killed sweep keeps its points and `--resume` runs only the rest.

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <limits>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/tool_info.hpp"
#include "cli/output.hpp"
#include "cli/report_writer.hpp"
#include "cli/scenario_options.hpp"
#include "cli/seed_option.hpp"
#include "cli/sweep_rows.hpp"
#include "config/catalog.hpp"
#include "config/limits.hpp"
#include "mpi/launch.hpp"
#include "mpi/session.hpp"
#include "report/gnuplot.hpp"
#include "report/results_writer.hpp"
#include "sweep/grid.hpp"
#include "sweep/journal.hpp"
#include "sweep/progress.hpp"
#include "sweep/publish.hpp"
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
  bool resume = false;
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
  for (const std::int64_t e : g.experts)
    if (e > config::kMaxExperts)
      throw UsageError(fmt::format("--experts must be at most {} (switchsim's limit), got {}", config::kMaxExperts, e));
  for (const std::int64_t t : g.batch_tokens)
    if (t > config::kMaxBatchTokens)
      throw UsageError(fmt::format("--batch-tokens must be at most 2^40 = {} (switchsim's limit), got {}",
                                   config::kMaxBatchTokens, t));
  std::int64_t points = 0;
  try {
    points = g.size();
  } catch (const OverflowError&) {
    points = std::numeric_limits<std::int64_t>::max();
  }
  if (points > config::kMaxGridPoints)
    throw UsageError(fmt::format("sweep: the lists of --model, --cluster, --layout, --batch-tokens, --routing, --padding, "
                                 "--top-k, --experts and --capacity-factor give {} points, more than {} (switchsim's "
                                 "limit); split the sweep",
                                 points, config::kMaxGridPoints));
  return g;
}

// Gathers every rank's rows (as JSON) on rank 0: (grid index, row), in no particular order.
std::vector<std::pair<std::int64_t, nlohmann::json>> gather_rows(
    const std::vector<std::pair<std::int64_t, nlohmann::json>>& rows, int ranks) {
  if (ranks == 1) return rows;
  nlohmann::json mine = nlohmann::json::array();
  for (const auto& [index, row] : rows) mine.push_back({{"index", index}, {"row", row}});
  const std::string text = mine.dump();
  const int length = static_cast<int>(text.size());
  const int rank = mpi::world_rank();
  std::vector<int> lengths(static_cast<std::size_t>(ranks));
  MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  std::string all;
  if (rank == 0) {
    for (int r = 1; r < ranks; ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
    all.resize(static_cast<std::size_t>(offsets.back() + lengths.back()));
  }
  MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  std::vector<std::pair<std::int64_t, nlohmann::json>> indexed;
  if (rank != 0) return indexed;
  for (int r = 0; r < ranks; ++r) {
    const auto part = nlohmann::json::parse(all.substr(static_cast<std::size_t>(offsets[r]),
                                                       static_cast<std::size_t>(lengths[r])));
    for (const auto& entry : part) indexed.emplace_back(entry["index"].get<std::int64_t>(), entry["row"]);
  }
  return indexed;
}

// Names the sweep a journal belongs to: the simulator's version and every point's inputs, so
// `--resume` never mixes points of two different sweeps or simulator builds.
std::string sweep_key(const sweep::Grid& grid, const std::string& network, const std::string& git_sha) {
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a, 64 bits
  auto mix = [&hash](const std::string& text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;
    hash *= 1099511628211ull;
  };
  for (std::int64_t i = 0; i < grid.size(); ++i) {
    const auto p = grid.point(i);
    mix(fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", p.model, p.cluster,
                    p.experts.value_or(-1), p.capacity_factor ? fmt::format("{}", *p.capacity_factor) : "-",
                    p.top_k.value_or(-1), p.batch_tokens, p.seq_len.value_or(-1), p.layout, p.routing, p.seed,
                    p.router_dtype.value_or("-"), p.compute_dtype.value_or("-"), p.padding, p.optimizer,
                    p.microbatches, p.overlap, p.alltoall_algorithm, p.allreduce_algorithm));
  }
  return fmt::format("switchsim 0.1.0 git {} network {} points {} inputs {:016x}", git_sha, network, grid.size(), hash);
}

int run_sweep(const SweepOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  const auto grid = build_grid(o);
  if (!mpi::under_mpirun() && o.ranks > 1) {
    if (auto code = mpi::relaunch_under_mpirun(o.ranks)) return *code;
  }
  const std::filesystem::path dir(o.out);
  int rank = 0, ranks = 1;
  if (mpi::under_mpirun()) {
    mpi::ensure_mpi_initialized();
    rank = mpi::world_rank();
    ranks = mpi::world_size();
  }
  std::error_code ec;
  if (rank == 0 && !std::filesystem::exists(dir, ec) && !std::filesystem::create_directories(dir, ec))
    throw UsageError(fmt::format("--out {}: cannot create the directory ({})", o.out, ec.message()));
  if (rank == 0 && !std::filesystem::is_directory(dir, ec))
    throw UsageError(fmt::format("--out {}: not a directory", o.out));

  if (rank == 0) sweep::finish_publication(dir);  // a sweep killed while publishing: complete its set
  const std::string git_sha = source_git_sha();
  const std::string key = sweep_key(grid, o.network, git_sha);
  // Every rank reads the journals before any rank appends to its own (the barrier).
  std::map<std::int64_t, nlohmann::json> journaled;
  if (o.resume) {
    journaled = sweep::read_journals(dir, key);
  } else if (rank == 0) {
    sweep::remove_journals(dir);
  }
  if (ranks > 1) MPI_Barrier(MPI_COMM_WORLD);
  std::vector<std::int64_t> missing;
  for (std::int64_t i = 0; i < grid.size(); ++i)
    if (!journaled.contains(i)) missing.push_back(i);
  if (o.resume && rank == 0)
    fmt::print(stderr, "resuming: {} of {} points journaled in {}, {} to run\n", journaled.size(), grid.size(),
               o.out, missing.size());

  std::vector<std::int64_t> indices;  // rank r takes missing points r, r + n, r + 2n, ...
  for (std::size_t i = static_cast<std::size_t>(rank); i < missing.size(); i += static_cast<std::size_t>(ranks))
    indices.push_back(missing[i]);
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string network = o.network;
  auto make_comm = [&network](const config::ClusterConfig& cluster) { return make_comm_model(cluster, network); };
  sweep::ProgressBar bar(fmt::format("sweep{}", ranks > 1 ? fmt::format(" rank {}/{}", rank, ranks) : ""),
                         !o.quiet && rank == 0 && sweep::ProgressBar::stderr_is_terminal());
  sweep::JournalWriter journal(dir, key, rank);
  // Rows travel as JSON (journal, MPI gather), so fresh and resumed rows take the same path and
  // the files are byte-identical whether or not the sweep was interrupted.
  std::vector<std::pair<std::int64_t, nlohmann::json>> fresh;
  fresh.reserve(indices.size());
  sweep::run_points(
      grid, indices, catalog, make_comm, threads,
      [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); },
      [&journal, &fresh](const sweep::PointOutcome& outcome) {
        auto row = nlohmann::json(report::to_json(to_result_row(outcome)));
        journal.append(outcome.index, row);
        fresh.emplace_back(outcome.index, std::move(row));
      });
  journal.sync();
  auto gathered = gather_rows(fresh, ranks);
  if (rank != 0) return 0;
  for (auto& [index, row] : gathered) journaled[index] = std::move(row);
  nlohmann::json doc{{"context", nlohmann::json::object()}, {"results", nlohmann::json::array()}};
  for (auto& [index, row] : journaled) doc["results"].push_back(std::move(row));
  const auto rows = report::parse_results(doc, (dir / sweep::journal_file_name(0)).string()).results;

  // No date, host or thread count here: the same grid gives byte-identical files.
  report::RunContext context;
  context.entries = {{"tool", "switchsim 0.1.0"},
                     {"git_sha", git_sha},
                     {"network", o.network},
                     {"points", std::to_string(grid.size())}};
  std::vector<sweep::PublishedFile> files{{"results.json", report::write_results_json(rows, context)},
                                          {"results.csv", report::write_results_csv(rows, context)}};
  std::int64_t invalid = 0, oom = 0;
  for (const auto& row : rows) {
    invalid += row.valid ? 0 : 1;
    oom += row.outputs && row.outputs->oom ? 1 : 0;
  }
  int code = 0;
  if (o.report) {
    try {
      for (auto& file : report_files(report::ResultsFile{context, rows}, {},
                                     report::ReportOptions{report::ReportOptions{}.title, std::nullopt, quality_curve_for(rows)}))
        files.push_back({std::move(file.name), std::move(file.content)});
    } catch (const report::ToolError& e) {
      fmt::print(stderr, "error: {} (results written without the report)\n", e.what());
      code = 1;
    }
  }
  // One set: results and report together; a report of an earlier sweep is removed with it.
  try {
    sweep::publish_files(dir, files, report_file_names());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  sweep::remove_journals(dir);  // the published results are now the record
  fmt::print("{} points ({} invalid, {} out of memory) -> {}, {}\n", rows.size(), invalid, oom,
             (dir / "results.json").string(), (dir / "results.csv").string());
  for (std::size_t i = 2; i < files.size(); ++i) fmt::print("{}\n", (dir / files[i].name).string());
  return code;
}

}  // namespace

void setup_sweep(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Simulate a grid of points (the cartesian product of every list) and write DIR/results.json and\n"
      "DIR/results.csv (one row per point, units in the column names, invalid points say why).\n"
      "Runs points on --threads workers; under `mpirun -np N switchsim sweep ...` each rank takes a\n"
      "deterministic slice and rank 0 writes. Output is byte-identical for any thread or rank count.\n"
      "Each finished point is journaled in DIR (journal-rank*.jsonl) as it finishes: after a kill or\n"
      "pre-emption, the same command with --resume runs only the missing points. The result files are\n"
      "published together at the end, so DIR never holds a results.json and results.csv of two sweeps.\n"
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
  cmd->add_option("--seed", o->base.seed, "Routing seed for every point (default: 1)")
      ->check(decimal_seed());
  cmd->add_option("--seq-len", o->base.seq_len, "Input sequence length (default: the model's, 512)");
  cmd->add_option("--microbatches", o->base.microbatches, "Microbatches per step (default: 1)");
  cmd->add_option("--optimizer", o->base.optimizer, "adafactor or adam (default: adafactor)")
      ->check(CLI::IsMember({"adafactor", "adam"}));
  cmd->add_option("--network", o->network,
                  "flow (max-min flows on the cluster's topology) or closed-form (faster, no contention) (default: flow)")
      ->check(CLI::IsMember({"closed-form", "flow"}));
  cmd->add_option("--threads", o->threads, "Worker threads per rank, at most 1024 (default: all cores)")
      ->check(CLI::Range(0, static_cast<int>(config::kMaxThreads)));
  cmd->add_option("--ranks", o->ranks,
                  "MPI ranks: relaunches itself under mpirun -np N (default: 1; under mpirun: the world size)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--out", o->out, "Output directory (created if missing)")->required();
  cmd->add_flag("--report", o->report, "Also write report.md, report.html and the plots into the directory");
  cmd->add_flag("--resume", o->resume,
                "Continue a killed sweep: run only the points missing from DIR's journal (same command line;\n"
                "the results are byte-identical to an uninterrupted run). Without it a sweep starts afresh");
  cmd->add_flag("--quiet", o->quiet, "No progress bar (it is also off when stderr is not a terminal)");
  cmd->callback([o, &action] { action = [o] { return run_sweep(*o); }; });
}

}  // namespace switchsim::cli
