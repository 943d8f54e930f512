#pragma once
// How subcommands plug into main: each file under cli/ provides setup_X(app, action), which
// adds a CLI11 subcommand and, when that subcommand is chosen, sets `action` to the code that
// runs it. The action returns the process exit code.

#include <functional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace switchsim::cli {

using Action = std::function<int()>;

// Bad command-line input that CLI11 cannot catch by itself (e.g. experts not dividing
// devices). main prints it as one line and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The requested hardware is not present (e.g. no CUDA device). Exit code 3.
class NoDeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void setup_describe(CLI::App& app, Action& action);
void setup_list(CLI::App& app, Action& action);
void setup_bench(CLI::App& app, Action& action);
void setup_simulate(CLI::App& app, Action& action);
void setup_sweep(CLI::App& app, Action& action);
void setup_report(CLI::App& app, Action& action);
void setup_collective(CLI::App& app, Action& action);
void setup_measure(CLI::App& app, Action& action);
void setup_calibrate(CLI::App& app, Action& action);
void setup_validate(CLI::App& app, Action& action);
void setup_advise(CLI::App& app, Action& action);

}  // namespace switchsim::cli
