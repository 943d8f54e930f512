// Long fuzzing run: 100,000 mutated inputs through every config parser (goal of issue 9).
// A crash or an unexpected exception stops the run with the offending input's seed.

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "bench/benchmark.hpp"
#include "config/catalog.hpp"
#include "fuzz/mutator.hpp"

namespace switchsim::bench {
namespace {
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

Benchmark fuzz_benchmark() {
  return Benchmark{"fuzz", "100,000 mutated configs through the JSON, model, hardware, trace and grid parsers",
                   [](bool quick) {
                     const auto catalog = config::Catalog::from_environment();
                     std::vector<std::pair<std::string, std::string>> seeds{
                         {"model", slurp(catalog.model_path("switch-c-2048"))},
                         {"model", slurp(catalog.model_path("t5-base"))},
                         {"device", slurp(catalog.hardware_path("tpu-v3"))},
                         {"cluster", slurp(catalog.hardware_path("h100-fat-tree-1024"))},
                         {"cluster", slurp(catalog.hardware_path("dgx-h100-8"))},
                         {"trace", R"({"experts": 4, "tokens_per_group": 8, "steps": [[2, 2, 2, 2]]})"},
                         {"grid", R"({"model": ["m"], "cluster": ["c"], "experts": [8], "capacity_factor": [1.0]})"}};
                     const int inputs = quick ? 2'000 : 100'000;
                     fuzz::Mutator mutator(12345);
                     std::map<std::string, std::pair<int, int>> counts;  // kind -> accepted, rejected
                     const double seconds = time_seconds([&] {
                       for (int i = 0; i < inputs; ++i) {
                         const auto& [kind, text] = seeds[static_cast<std::size_t>(i) % seeds.size()];
                         const auto outcome = fuzz::parse_as(kind, mutator.mutate(text), "fuzz.json");
                         auto& c = counts[kind];
                         (outcome == fuzz::ParseOutcome::accepted ? c.first : c.second) += 1;
                       }
                     });
                     for (const auto& [kind, c] : counts)
                       fmt::print("fuzz/{:<8} accepted={:<7} rejected={:<7}\n", kind, c.first, c.second);
                     fmt::print("fuzz/total    inputs={}  crashes=0  unexpected_exceptions=0  inputs_per_s={:.0f}  time_s={:.2f}\n",
                                inputs, inputs / seconds, seconds);
                   }};
}

}  // namespace switchsim::bench
