#include "cli_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include "test_files.hpp"

namespace switchsim::test {
namespace {
}  // namespace

std::string source_path(const std::string& relative) { return std::string(SWITCHSIM_SOURCE_DIR) + "/" + relative; }

CliResult run_cli(const std::string& args, int timeout_s) {
  static int counter = 0;
  const std::string base = fmt::format("/tmp/switchsim_test_{}_{}", ::getpid(), counter++);
  const std::string out = fmt::format("{}.out", base);
  const std::string err = fmt::format("{}.err", base);
  const std::string limit = timeout_s > 0 ? fmt::format("timeout -k 5 {} ", timeout_s) : std::string();
  const std::string command = fmt::format("SWITCHSIM_DATA_DIR='{}' {}'{}' {} >'{}' 2>'{}' </dev/null",
                                          SWITCHSIM_SOURCE_DIR, limit, SWITCHSIM_BINARY, args, out, err);
  const int status = std::system(command.c_str());
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out);
  result.err = slurp(err);
  std::remove(out.c_str());
  std::remove(err.c_str());
  return result;
}

}  // namespace switchsim::test
