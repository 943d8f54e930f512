// Fuzzing campaign over every config parser, with accepted inputs simulated (closed-form
// network, one sequence per device). A random seed by default, printed for replay.

#include "bench/fuzz_bench.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "bench/benchmark.hpp"
#include "config/catalog.hpp"
#include "fuzz/campaign.hpp"

namespace switchsim::bench {
namespace {
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

int run_fuzz(const FuzzRun& run, bool quick) {
  const auto catalog = config::Catalog::from_environment();
  const std::vector<fuzz::SeedInput> seeds{
      {"model", slurp(catalog.model_path("switch-c-2048"))},
      {"model", slurp(catalog.model_path("switch-base-8"))},
      {"device", slurp(catalog.hardware_path("tpu-v3"))},
      {"cluster", slurp(catalog.hardware_path("h100-fat-tree-1024"))},
      {"cluster", slurp(catalog.hardware_path("dgx-h100-8"))},
      {"trace", R"({"experts": 4, "tokens_per_group": 8, "steps": [[2, 2, 2, 2]]})"},
      {"grid", R"({"model": ["switch-base-8"], "cluster": ["dgx-h100-8"], "experts": [8], "capacity_factor": [1.0]})"}};
  fuzz::SimulationBase base{catalog.model("switch-base-8"), catalog.cluster("dgx-h100-8"), &catalog};
  fuzz::CampaignOptions options;
  options.seed = run.seed ? *run.seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  options.inputs = run.inputs.value_or(quick ? 2'000 : 100'000);
  options.per_input_limit_s = run.per_input_limit_s;
  options.simulate = run.simulate;
  fmt::print("fuzz: seed {} (replay: switchsim bench fuzz --seed {} --inputs {}), per-input limit {} CPU s{}\n",
             options.seed, options.seed, options.inputs, options.per_input_limit_s,
             options.simulate ? ", accepted inputs simulated" : "");
  std::fflush(stdout);
  fuzz::CampaignResult result;
  const double seconds = time_seconds([&] {
    result = fuzz::run_campaign(seeds, base, options, [&](const fuzz::Finding& f) {
      fmt::print(stderr, "fuzz finding: seed {} input #{} ({}): {}\n  input: {}\n", options.seed, f.index, f.kind,
                 f.what, f.text.size() > 2000 ? f.text.substr(0, 2000) + "..." : f.text);
    });
  });
  for (const auto& [kind, c] : result.kinds)
    fmt::print("fuzz/{:<8} accepted={:<8} rejected={:<8} simulated={:<8} simulation_rejected={}\n", kind, c.accepted,
               c.rejected, c.simulated, c.simulation_rejected);
  fmt::print("fuzz/total    inputs={}  unexpected_exceptions={}  over_time_limit={}  slowest_input_cpu_s={:.3f} (#{})  "
             "inputs_per_s={:.0f}  time_s={:.2f}\n",
             result.inputs, result.unexpected_exceptions, result.over_time_limit, result.slowest_input_s,
             result.slowest_index, static_cast<double>(result.inputs) / seconds, seconds);
  return result.unexpected_exceptions == 0 && result.over_time_limit == 0 ? 0 : 1;
}

Benchmark fuzz_benchmark() {
  return Benchmark{"fuzz",
                   "100,000 mutated configs through the JSON, model, hardware, trace and grid parsers; accepted ones "
                   "simulated (--seed, --inputs, --per-input-limit-s)",
                   [](bool quick) { run_fuzz(FuzzRun{}, quick); }};
}

}  // namespace switchsim::bench
