// switchsim: performance model of Switch Transformer (Mixture-of-Experts) training.
// main only wires subcommands and maps errors to exit codes:
// 0 ok, 1 internal error, 2 bad input, 3 requested device not present.

#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "cli/command.hpp"
#include "config/error.hpp"
#include "mpi/launch.hpp"
#include "mpi/session.hpp"
#include "units/units.hpp"
#include "validate/errors.hpp"

int main(int argc, char** argv) {
  using namespace switchsim;
  CLI::App app{
      "switchsim: predict (and measure) Switch Transformer MoE training steps on a cluster.\n"
      "Examples:\n"
      "  switchsim list models\n"
      "  switchsim describe model switch-base-128\n"
      "  switchsim describe hardware dgx-h100-8 --json\n"
      "  switchsim simulate --model switch-base-128 --cluster dgx-h100-8\n"
      "  switchsim collective --cluster dgx-h100-8 --op alltoall --algo direct --bytes 1G\n"
      "  switchsim bench engine\n"
      "  switchsim report runs/sweep-h100\n"
      "  switchsim measure --target cpu --ranks 2 --experts 4 --tokens 256\n"
      "  switchsim calibrate --target cpu --quick --out /tmp/host-cpu.json\n",
      "switchsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "switchsim 0.1.0");
  cli::Action action;
  cli::setup_describe(app, action);
  cli::setup_list(app, action);
  cli::setup_simulate(app, action);
  cli::setup_sweep(app, action);
  cli::setup_bench(app, action);
  cli::setup_report(app, action);
  cli::setup_collective(app, action);
  cli::setup_measure(app, action);
  cli::setup_calibrate(app, action);
  cli::setup_validate(app, action);
  cli::setup_advise(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const config::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  }
  if (!action) return 0;
  // A rank of a multi-rank MPI run that fails must take its peers down with it (they may be
  // waiting for it in a collective); mpirun then exits with the same code.
  auto fail = [](int code) {
    mpi::abort_world_if_parallel(code);
    return code;
  };
  try {
    return action();
  } catch (const config::ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return fail(2);
  } catch (const cli::UsageError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return fail(2);
  } catch (const validate::RequestError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return fail(2);
  } catch (const mpi::WorldSizeError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return fail(2);
  } catch (const cli::NoDeviceError& e) {
    fmt::print(stderr, "no CUDA device: {}\n", e.what());
    return fail(3);
  } catch (const validate::NoDeviceError& e) {
    fmt::print(stderr, "no CUDA device: {}\n", e.what());
    return fail(3);
  } catch (const OverflowError& e) {
    fmt::print(stderr, "error: arithmetic overflow: {}\n", e.what());
    return fail(2);
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return fail(1);
  }
}
