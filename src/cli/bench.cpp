// `switchsim bench [NAME...] [--quick]`

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "bench/benchmark.hpp"
#include "bench/fuzz_bench.hpp"
#include "cli/command.hpp"
#include "cli/seed_option.hpp"

namespace switchsim::cli {
namespace {
struct BenchOptions {
  std::vector<std::string> names;
  bool quick = false;
  bench::FuzzRun fuzz;
};
}  // namespace

void setup_bench(CLI::App& app, Action& action) {
  std::string list;
  for (const auto& b : bench::all_benchmarks()) list += fmt::format("\n  {:<10} {}", b.name, b.description);
  auto* cmd = app.add_subcommand("bench",
                                 "Run speed benchmarks; they print rates and ratios to their goals." + list +
                                     "\nExample: switchsim bench engine");
  auto options = std::make_shared<BenchOptions>();
  cmd->add_option("names", options->names, "Benchmarks to run (default: all)");
  cmd->add_flag("--quick", options->quick, "Small sizes, for a smoke run");
  cmd->add_option("--seed", options->fuzz.seed, "fuzz: seed of the mutants, to replay a run (default: random, printed)")
      ->check(decimal_seed());
  cmd->add_option("--inputs", options->fuzz.inputs, "fuzz: number of mutated inputs (default: 100000; 2000 with --quick)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
  cmd->add_option("--per-input-limit-s", options->fuzz.per_input_limit_s,
                  "fuzz: an input (parse and simulation) taking more CPU seconds is a finding (default: 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("!--no-simulate", options->fuzz.simulate, "fuzz: only parse; do not simulate accepted inputs");
  cmd->callback([options, &action] {
    action = [options] {
      const auto all = bench::all_benchmarks();
      int code = 0;
      for (const auto& name : options->names) {
        bool known = false;
        for (const auto& b : all) known = known || b.name == name;
        if (!known) throw UsageError(fmt::format("bench: unknown benchmark '{}' (see switchsim bench --help)", name));
      }
      for (const auto& b : all) {
        if (!options->names.empty() && std::find(options->names.begin(), options->names.end(), b.name) == options->names.end())
          continue;
        if (b.name == "fuzz") code = std::max(code, bench::run_fuzz(options->fuzz, options->quick));
        else b.run(options->quick);
      }
      return code;
    };
  });
}

}  // namespace switchsim::cli
