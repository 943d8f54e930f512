#include "mpi/launch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchsim::mpi {

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

}  // namespace

namespace {
// What mpirun's banners said about a failed rank.
struct MpirunReport {
  std::string rank;
  std::optional<int> signal;
  std::string signal_name;
  std::optional<int> exit_code;
  bool rank_printed_error = false;  // a rank printed its own "error: ..." line
};

// Copies mpirun's stderr (which carries the ranks' stderr too) to ours, line by line, except
// mpirun's own banners (blocks between lines of dashes), from which the failed rank is read:
//   "mpirun noticed that process rank 1 with PID 0 on node vm exited on signal 9 (Killed)."
//   "Process name: [[5555,1],1]" ... "Exit code: 2"
MpirunReport relay_mpirun_stderr(int fd) {
  MpirunReport report;
  std::string pending;
  bool in_banner = false;
  auto line_done = [&](const std::string& line) {
    if (line.size() >= 20 && line.find_first_not_of('-') == std::string::npos) {
      in_banner = !in_banner;
      return;
    }
    if (!in_banner) {
      if (line.rfind("error: ", 0) == 0) report.rank_printed_error = true;
      std::fwrite(line.data(), 1, line.size(), stderr);
      std::fputc('\n', stderr);
      std::fflush(stderr);
      return;
    }
    int rank = -1, signal = 0;
    char name[64] = {0};
    if (const auto at = line.find("process rank "); at != std::string::npos &&
        std::sscanf(line.c_str() + at, "process rank %d with PID %*d on node %*s exited on signal %d (%63[^)])", &rank,
                    &signal, name) == 3) {
      report.rank = std::to_string(rank);
      report.signal = signal;
      report.signal_name = name;
    }
    int job = 0, step = 0, named = 0, code = 0;
    if (const auto at = line.find("Process name: [["); at != std::string::npos &&
        std::sscanf(line.c_str() + at, "Process name: [[%d,%d],%d]", &job, &step, &named) == 3 && report.rank.empty())
      report.rank = std::to_string(named);
    if (const auto at = line.find("Exit code:"); at != std::string::npos &&
        std::sscanf(line.c_str() + at, "Exit code: %d", &code) == 1)
      report.exit_code = code;
  };
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf.data(), static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      line_done(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) line_done(pending);
  return report;
}
}  // namespace

std::optional<int> relaunch_under_mpirun(std::int64_t ranks, const LaunchEnvironment& environment) {
  if (under_mpirun()) {
    const long world = std::strtol(std::getenv("OMPI_COMM_WORLD_SIZE"), nullptr, 10);
    if (world != ranks)
      throw WorldSizeError("--ranks " + std::to_string(ranks) + " but mpirun started " + std::to_string(world) +
                           " ranks (use mpirun -np " + std::to_string(ranks) + ")");
    return std::nullopt;
  }
  const auto args = own_arguments();
  if (args.empty()) throw std::runtime_error("cannot read this program's arguments to start it again");
  for (const auto& v : environment.set) ::setenv(v.name.c_str(), v.value.c_str(), 1);
  if (ranks == 1) {  // a plain process is a 1-rank MPI world (singleton)
    if (!environment.set.empty()) {
      auto same = args;
      auto argv = exec_argv(same);
      std::fflush(stdout);
      std::fflush(stderr);
      const std::string exe = own_executable();
      ::execv(exe.c_str(), argv.data());
      throw std::runtime_error("cannot start " + exe + " again with its environment set");
    }
    return std::nullopt;
  }

  // Not --quiet: mpirun's report of a rank's death ("process rank 1 ... exited on signal 9")
  // is read from its stderr below and turned into one line; its other banners are dropped.
  std::vector<std::string> command{"mpirun", "-np", std::to_string(ranks), "--oversubscribe", own_executable()};
  command.insert(command.end(), args.begin() + 1, args.end());
  auto argv = exec_argv(command);

  std::fflush(stdout);
  std::fflush(stderr);
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // mpirun stops (and stops its ranks, which also watch mpirun: process_setup.cpp) when this
    // process dies.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(143);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (::geteuid() == 0) {
      ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
      ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    }
    for (const auto& v : environment.defaults) ::setenv(v.name.c_str(), v.value.c_str(), 0);
    ::execvp("mpirun", argv.data());
    std::fprintf(stderr, "error: cannot run mpirun (is Open MPI installed?)\n");
    ::_exit(127);
  }
  ::close(err_pipe[1]);
  const MpirunReport report = relay_mpirun_stderr(err_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waiting for mpirun failed");
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (report.signal) {
    std::fprintf(stderr, "error: MPI rank %s died from signal %d (%s)\n", report.rank.c_str(), *report.signal,
                 report.signal_name.c_str());
    return 3;
  }
  if (code != 0 && report.exit_code && !report.rank.empty() && !report.rank_printed_error)
    std::fprintf(stderr, "error: MPI rank %s exited with code %d\n", report.rank.c_str(), *report.exit_code);
  return code;
}

}  // namespace switchsim::mpi
