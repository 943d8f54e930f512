#include "cli/mpi_launch.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/cpu_calibration.hpp"
#include "ref/cpu/blas_core.hpp"

namespace switchsim::cli {

bool under_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr; }

namespace {
std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t start = 0; start < raw.size();) {
    const std::size_t end = raw.find('\0', start);
    args.push_back(raw.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return args;
}

std::string own_executable() {
  std::array<char, 4096> exe{};
  const ssize_t len = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (len <= 0) throw std::runtime_error("cannot find this program's path to start it again");
  return std::string(exe.data(), static_cast<std::size_t>(len));
}

// The argv an exec call takes: pointers into `words` (which must outlive it), then a null.
std::vector<char*> exec_argv(std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return argv;
}

// When OpenBLAS fell back to generic kernels on a CPU it did not recognize and the user did not
// choose a core, the processes switchsim starts ask for the CPU's own (OPENBLAS_CORETYPE is
// read when the library loads, so only a new process can change it). Returns whether it set it.
bool request_fast_blas_core() {
  const auto core = ref::cpu::blas_core();
  if (!core.requested.empty() || core.suggested.empty()) return false;
  ::setenv("OPENBLAS_CORETYPE", core.suggested.c_str(), 1);
  ::setenv(ref::cpu::kBlasCoreDetectedVariable, core.running.c_str(), 1);
  return true;
}
}  // namespace

std::optional<int> relaunch_under_mpirun(std::int64_t ranks) {
  if (under_mpirun()) {
    const long world = std::strtol(std::getenv("OMPI_COMM_WORLD_SIZE"), nullptr, 10);
    if (world != ranks)
      throw UsageError("--ranks " + std::to_string(ranks) + " but mpirun started " + std::to_string(world) +
                       " ranks (use mpirun -np " + std::to_string(ranks) + ")");
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    const auto core = ref::cpu::blas_core();
    if (rank != nullptr && std::string(rank) == "0" && core.requested.empty() && !core.suggested.empty())
      std::fprintf(stderr,
                   "warning: OpenBLAS runs its generic %s kernels on this CPU; export OPENBLAS_CORETYPE=%s for its "
                   "own (several times faster sgemm; switchsim sets it when it starts mpirun itself)\n",
                   core.running.c_str(), core.suggested.c_str());
    return std::nullopt;
  }
  const auto args = own_arguments();
  if (args.empty()) throw std::runtime_error("cannot read this program's arguments to start it again");
  if (ranks == 1) {  // a plain process is a 1-rank MPI world (singleton)
    if (request_fast_blas_core()) {
      auto same = args;
      auto argv = exec_argv(same);
      std::fflush(stdout);
      std::fflush(stderr);
      const std::string exe = own_executable();
      ::execv(exe.c_str(), argv.data());
      throw std::runtime_error("cannot start " + exe + " again with OPENBLAS_CORETYPE set");
    }
    return std::nullopt;
  }
  request_fast_blas_core();

  std::vector<std::string> command{"mpirun", "-np", std::to_string(ranks), "--oversubscribe", "--quiet",
                                   own_executable()};
  command.insert(command.end(), args.begin() + 1, args.end());
  auto argv = exec_argv(command);

  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (::geteuid() == 0) {
      ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
      ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    // One BLAS thread per core share, so ranks do not fight over the cores.
    ::setenv("OPENBLAS_NUM_THREADS", std::to_string(rank_blas_threads(ranks)).c_str(), 0);
    ::execvp("mpirun", argv.data());
    std::fprintf(stderr, "error: cannot run mpirun (is Open MPI installed?)\n");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waiting for mpirun failed");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string source_git_sha() {
  const std::string command = std::string("git -C '") + SWITCHSIM_SOURCE_DIR + "' rev-parse --short=12 HEAD 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "unknown";
  std::array<char, 128> buf{};
  std::string out;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  const int rc = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 && !out.empty() ? out : "unknown";
}

}  // namespace switchsim::cli
