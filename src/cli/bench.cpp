// `switchsim bench [NAME...] [--quick]`

#include <fmt/format.h>

#include <memory>

#include "bench/benchmark.hpp"
#include "cli/command.hpp"

namespace switchsim::cli {
namespace {
struct BenchOptions {
  std::vector<std::string> names;
  bool quick = false;
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
  cmd->callback([options, &action] {
    action = [options] {
      const auto all = bench::all_benchmarks();
      for (const auto& name : options->names) {
        bool known = false;
        for (const auto& b : all) known = known || b.name == name;
        if (!known) throw UsageError(fmt::format("bench: unknown benchmark '{}' (see switchsim bench --help)", name));
      }
      for (const auto& b : all) {
        if (!options->names.empty() && std::find(options->names.begin(), options->names.end(), b.name) == options->names.end())
          continue;
        b.run(options->quick);
      }
      return 0;
    };
  });
}

}  // namespace switchsim::cli
