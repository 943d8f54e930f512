#pragma once
// Runs the switchsim binary the way a user would and captures what it printed.

#include <string>

namespace switchsim::test {

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `args` is appended to the binary path verbatim (shell-quoted by the caller when needed).
// With `timeout_s` > 0 the run is killed after that many seconds (exit code 124): for tests of
// runs that used to hang.
CliResult run_cli(const std::string& args, int timeout_s = 0);

std::string source_path(const std::string& relative);

}  // namespace switchsim::test
