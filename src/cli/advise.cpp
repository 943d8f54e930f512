// `switchsim advise`: search experts x capacity factor x top-k x parallel layout for a model
// family on a cluster, print the Pareto frontier and one recommendation per goal, and with
// --out write advice.json, advice.md and advice.html.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "advise/advice_output.hpp"
#include "advise/recommend.hpp"
#include "advise/sample_efficiency.hpp"
#include "advise/search.hpp"
#include "advise/what_it_would_take.hpp"
#include "cli/comm_factory.hpp"
#include "cli/command.hpp"
#include "cli/tool_info.hpp"
#include "cli/output.hpp"
#include "config/catalog.hpp"
#include "config/cluster_config.hpp"
#include "config/limits.hpp"
#include "report/document.hpp"
#include "sweep/grid.hpp"
#include "sweep/progress.hpp"

namespace switchsim::cli {
namespace {

// A list of names, each one of `allowed`; empty text: empty list. Throws UsageError.
std::vector<std::string> choices(const std::string& text, const std::string& option,
                                 const std::vector<std::string>& allowed) {
  if (text.empty()) return {};
  auto out = sweep::parse_string_list(text);
  for (const auto& v : out)
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end())
      throw UsageError(fmt::format("{} {}: '{}' is not one of {}", option, text, v, fmt::join(allowed, ", ")));
  return out;
}

// "A:B": A, 2A, 4A, ... up to B; else a list "A,B,C". Throws UsageError naming the option.
std::vector<std::int64_t> batch_range(const std::string& text) {
  if (const auto colon = text.find(':'); colon != std::string::npos) {
    const auto low = sweep::parse_int_list(text.substr(0, colon), "--batch-tokens");
    const auto high = sweep::parse_int_list(text.substr(colon + 1), "--batch-tokens");
    if (low.size() != 1 || high.size() != 1 || low[0] <= 0 || high[0] < low[0])
      throw UsageError("--batch-tokens " + text + ": a range is MIN:MAX with 0 < MIN <= MAX");
    std::vector<std::int64_t> out;
    for (std::int64_t b = low[0]; b <= high[0]; b *= 2) out.push_back(b);
    return out;
  }
  auto out = sweep::parse_int_list(text, "--batch-tokens");
  for (auto b : out)
    if (b <= 0) throw UsageError("--batch-tokens " + text + ": batches must be positive");
  return out;
}

struct AdviseOptions {
  std::string family;
  std::string cluster;
  std::optional<std::int64_t> devices;
  std::string batch_tokens = "1048576";
  std::string microbatches = "auto";
  std::string routing = "uniform";
  std::string dispatch;  // a list searched; empty: the device profile's
  std::optional<std::int64_t> group_size;
  std::string remat;  // a list searched; empty: none
  std::int64_t min_experts = 8;
  std::int64_t max_experts = 256;
  std::string capacity_factors = "0.5,1.0,1.25,1.5,2.0";
  std::string top_ks = "1,2";
  double max_drop_frac = 0.01;
  double memory_headroom = 0.1;
  std::optional<double> max_step_time_s;
  std::string sample_efficiency;
  std::string network = "closed-form";
  int threads = 0;
  std::string out;
  bool quiet = false;
};

int run_advise(const AdviseOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  advise::SearchSpec spec;
  advise::Limits limits{o.max_drop_frac, o.memory_headroom};
  try {
    spec.model = advise::family_model(catalog, o.family);
    spec.capacity_factors = sweep::parse_double_list(o.capacity_factors, "--capacity-factor");
    spec.top_ks = sweep::parse_int_list(o.top_ks, "--top-k");
    spec.batch_tokens = batch_range(o.batch_tokens);
    if (o.microbatches != "auto") {
      spec.microbatches = sweep::parse_int_list(o.microbatches, "--microbatches");
      for (auto m : spec.microbatches)
        if (m <= 0) throw UsageError("--microbatches " + o.microbatches + ": counts must be positive (or auto)");
    }
    spec.remat = choices(o.remat, "--remat", {"none", "attention", "full"});
    spec.dispatch = choices(o.dispatch, "--dispatch", {"einsum", "scatter", "grouped"});
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (o.min_experts > o.max_experts)
    throw UsageError(fmt::format("--min-experts {} is above --max-experts {}", o.min_experts, o.max_experts));
  spec.experts.clear();
  for (std::int64_t e = 1; e <= o.max_experts; e *= 2)
    if (e >= o.min_experts) spec.experts.push_back(e);
  if (spec.experts.empty())
    throw UsageError(fmt::format("no power of two between --min-experts {} and --max-experts {}", o.min_experts,
                                 o.max_experts));
  spec.cluster = o.cluster;
  // --devices: a cut-down copy of the cluster, written to a temporary file the points load.
  std::optional<std::filesystem::path> cut_file;
  if (o.devices) {
    config::ClusterConfig cut;
    try {
      cut = advise::first_devices(catalog.cluster(o.cluster), *o.devices);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    cut_file = std::filesystem::temp_directory_path() / fmt::format("switchsim_advise_{}_{}.json", ::getpid(), cut.name);
    write_file_atomically(*cut_file, config::to_json(cut).dump(2));
    spec.cluster = cut_file->string();
  }
  struct RemoveOnExit {
    const std::optional<std::filesystem::path>& path;
    ~RemoveOnExit() {
      std::error_code ec;
      if (path) std::filesystem::remove(*path, ec);
    }
  } remove_cut{cut_file};
  spec.routing = o.routing;
  spec.group_size = o.group_size;

  std::optional<advise::SampleEfficiency> efficiency;
  if (!o.sample_efficiency.empty()) {
    efficiency = advise::load_sample_efficiency(o.sample_efficiency);
  } else if (const auto shipped = advise::shipped_sample_efficiency(catalog.data_dir(), o.family);
             std::filesystem::exists(shipped)) {
    efficiency = advise::load_sample_efficiency(shipped);
    efficiency->file = "models/sample-efficiency/" + o.family + ".json";  // same text on every machine
  }
  if (!o.out.empty()) {
    std::error_code ec;
    if (!std::filesystem::exists(o.out, ec) && !std::filesystem::create_directories(o.out, ec))
      throw UsageError(fmt::format("--out {}: cannot create the directory ({})", o.out, ec.message()));
  }

  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string network = o.network;
  auto make_comm = [&network](const config::ClusterConfig& cluster) { return make_comm_model(cluster, network); };
  advise::Advice advice;
  {
    sweep::ProgressBar bar("advise", !o.quiet && sweep::ProgressBar::stderr_is_terminal());
    try {
      auto candidates = advise::search(spec, limits, efficiency ? &*efficiency : nullptr, catalog, make_comm, threads,
                                       [&bar](std::int64_t done, std::int64_t total) { bar.update(done, total); });
      try {
        advice = advise::recommend(candidates, o.max_step_time_s, efficiency ? &*efficiency : nullptr, o.routing,
                                   limits);
      } catch (const advise::NoFeasiblePoint& e) {
        // Say what would fit: the closest point's memory and the smallest change (on stdout),
        // then the one error line.
        const auto w = advise::what_it_would_take(candidates, limits, catalog, {"attention", "full"});
        if (!w) throw;
        fmt::print("{}", advise::what_it_would_take_text(*w, candidates));
        std::fflush(stdout);
        throw UsageError(fmt::format("advise {} on {}: {}; {}", o.family, o.cluster, e.what(),
                                     advise::smallest_change_line(*w, candidates)));
      }
    } catch (const UsageError&) {
      throw;
    } catch (const std::invalid_argument& e) {
      throw UsageError(fmt::format("advise {} on {}: {}", o.family, o.cluster, e.what()));
    }
  }
  fmt::print("{}", advise::advice_text(advice));
  if (efficiency)
    fmt::print("\nTime to quality is an estimate: steps read approximately off published curves ({}) x simulated "
               "step time.\n",
               efficiency->file);

  if (!o.out.empty()) {
    // No date, host or thread count: the same inputs give byte-identical files.
    const advise::Context context{{"tool", "switchsim 0.1.0"},
                                  {"git_sha", source_git_sha()},
                                  {"family", o.family},
                                  {"model_file", spec.model},
                                  {"cluster", o.cluster},
                                  {"devices", o.devices ? std::to_string(*o.devices) : "all"},
                                  {"batch_tokens", o.batch_tokens},
                                  {"microbatches", o.microbatches},
                                  {"remat", o.remat.empty() ? "none" : o.remat},
                                  {"dispatch", o.dispatch.empty() ? "the device profile's" : o.dispatch},
                                  {"routing", o.routing},
                                  {"network", o.network},
                                  {"max_drop_frac", fmt::format("{:g}", o.max_drop_frac)},
                                  {"memory_headroom_frac", fmt::format("{:g}", o.memory_headroom)}};
    const std::filesystem::path dir(o.out);
    const auto efficiency_ptr = efficiency ? &*efficiency : nullptr;
    write_file_atomically(dir / "advice.json", advise::advice_json(advice, context, efficiency_ptr).dump(2) + "\n");
    const auto doc = advise::advice_document(advice, context, efficiency_ptr);
    for (const auto& section : doc.sections)
      if (section.figure) write_file_atomically(dir / section.figure->file, section.figure->svg);
    write_file_atomically(dir / "advice.md", report::render_markdown(doc));
    write_file_atomically(dir / "advice.html", report::render_html(doc));
    fmt::print("-> {}, {}, {}\n", (dir / "advice.json").string(), (dir / "advice.md").string(),
               (dir / "advice.html").string());
  }
  return 0;
}

}  // namespace

void setup_advise(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "advise",
      "Search global batch x top-k x expert count x capacity factor x parallel layout (dp x tp x ep that fit the\n"
      "cluster) x remat x dispatch x microbatches (gradient accumulation) for a model family. Memory is computed first, without\n"
      "simulating: points over the memory allowed are rejected at once, and --microbatches auto gives each point\n"
      "the fewest microbatches that fit. The rest are simulated; invalid, out-of-memory and token-dropping points\n"
      "are dropped. Prints the Pareto frontier (step time vs parameters vs memory headroom) and a recommendation\n"
      "per goal: fastest step, most parameters within --max-step-time, best estimated time to quality (published\n"
      "sample efficiency x simulated step time), each with why not its neighbours. When nothing fits, prints what\n"
      "it would take: the closest point's memory per component and the smallest change (more microbatches, a\n"
      "remat policy, fewer experts a device, more devices), then exits 2.\n"
      "Example: switchsim advise --family switch-base --cluster h100-fat-tree-1024 --out runs/advice\n"
      "         switchsim advise --family switch-base --cluster dgx-h100-8 --batch-tokens 262144:1048576 \\\n"
      "           --routing zipf:1.1 --max-drop-frac 0.25");
  auto o = std::make_shared<AdviseOptions>();
  cmd->add_option("--family", o->family, "Model family, e.g. switch-base (uses models/<family>-128.json, experts overridden)")
      ->required();
  cmd->add_option("--cluster", o->cluster, "Cluster name or file, e.g. dgx-h100-8")->required();
  cmd->add_option("--devices", o->devices,
                  "Use only the first N devices of the cluster: whole nodes of a fat tree, or part of an NVSwitch "
                  "node (default: all)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--batch-tokens", o->batch_tokens,
                  "Global batches searched, input tokens a step: a list (262144,1048576) or a range MIN:MAX of\n"
                  "doublings (262144:2097152). Time to quality scales the sample-efficiency file's steps to each batch\n"
                  "at constant tokens (an extrapolation away from the file's batch) (default: 1048576, the paper's)");
  cmd->add_option("--microbatches", o->microbatches,
                  "Gradient-accumulation microbatches searched (the global batch is kept; each microbatch carries\n"
                  "1/m of it): a list (1,2,4) or auto, the fewest powers of two whose memory fits the headroom,\n"
                  "found before simulating (default: auto)");
  cmd->add_option("--routing", o->routing, "Routing, e.g. uniform, zipf:1.1, hot:0.3 (default: uniform)");
  cmd->add_option("--dispatch", o->dispatch,
                  "Dispatch implementations searched, a list of: einsum (GShard / Mesh TensorFlow one-hot mask\n"
                  "einsums), scatter (index gather/scatter: Tutel, DeepSpeed-MoE), grouped (MegaBlocks dropless grouped\n"
                  "GEMM, implies dropless) (default: the device profile's, einsum on TPU, scatter on GPU; not searched)");
  cmd->add_option("--group-size", o->group_size,
                  "einsum dispatch: tokens per routing group S (default: 1024, Mesh TensorFlow's)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--remat", o->remat,
                  "Rematerialization policies searched, a list of: none, attention (Megatron selective\n"
                  "recomputation), full (jax.checkpoint per layer): recompute time traded for activation memory.\n"
                  "With --microbatches auto each policy gets its own fewest microbatches (default: none; not searched,\n"
                  "but 'what it would take' always tries attention and full)");
  cmd->add_option("--min-experts", o->min_experts, "Smallest expert count searched, powers of two (default: 8)")
      ->check(CLI::Range(std::int64_t{1}, config::kMaxExperts));
  cmd->add_option("--max-experts", o->max_experts, "Largest expert count searched, powers of two, at most 65536 (default: 256)")
      ->check(CLI::Range(std::int64_t{1}, config::kMaxExperts));
  cmd->add_option("--capacity-factor", o->capacity_factors, "Capacity factors searched (default: 0.5,1.0,1.25,1.5,2.0)");
  cmd->add_option("--top-k", o->top_ks, "Experts per token searched (default: 1,2)");
  cmd->add_option("--max-drop-frac", o->max_drop_frac, "Reject points dropping more than this fraction of tokens (default: 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--memory-headroom", o->memory_headroom,
                  "Reject points leaving less than this fraction of device memory free (default: 0.1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--max-step-time", o->max_step_time_s,
                  "Step-time limit in seconds for the most-parameters goal (default: 2x the fastest step)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--sample-efficiency", o->sample_efficiency,
                  "Sample-efficiency JSON (default: models/sample-efficiency/<family>.json when shipped)");
  cmd->add_option("--network", o->network,
                  "closed-form (per-device NIC bandwidth; blind to oversubscription and in-node all-to-all) or flow "
                  "(shared links; slower to run) (default: closed-form)")
      ->check(CLI::IsMember({"closed-form", "flow"}));
  cmd->add_option("--threads", o->threads, "Worker threads, at most 1024 (default: all cores)")
      ->check(CLI::Range(0, static_cast<int>(config::kMaxThreads)));
  cmd->add_option("--out", o->out, "Directory for advice.json, advice.md, advice.html (default: print only)");
  cmd->add_flag("--quiet", o->quiet, "No progress bar (it is also off when stderr is not a terminal)");
  cmd->callback([o, &action] { action = [o] { return run_advise(*o); }; });
}

}  // namespace switchsim::cli
