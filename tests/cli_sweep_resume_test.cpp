// Crash-safe sweeps, end to end: a sweep killed with SIGKILL at a random point and resumed with
// --resume writes byte-identical files to an uninterrupted run, with threads and MPI ranks.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "cli_runner.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using switchsim::test::run_cli;

namespace {
using switchsim::test::slurp;
fs::path resume_dir(const std::string& name) { return switchsim::test::fresh_dir("resume_" + name, false); }
// Journaled points: every complete line of every journal, less the headers.
long journaled_points(const fs::path& dir) {
  long lines = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (!name.starts_with("journal-rank")) continue;
    const auto text = slurp(e.path());
    lines += static_cast<long>(std::count(text.begin(), text.end(), '\n')) - 1;
  }
  return lines;
}
// Under the sanitizers (about 10x slower) half the expert counts: the kill still lands at a
// random point of a sweep with many points per journal.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kExperts = "8,16";
constexpr long kExpertCounts = 2;
#else
constexpr const char* kExperts = "8,16,32,64";
constexpr long kExpertCounts = 4;
#endif
const std::vector<std::string> kSweep{"sweep",          "--model",    "switch-base-8,switch-base-16",
                                      "--cluster",      "dgx-h100-8,tpu-v3-32",
                                      "--batch-tokens", "65536",      "--experts",
                                      kExperts,         "--capacity-factor", "0.5,1.0,1.25,2.0",
                                      "--routing",      "uniform,zipf:1.2", "--quiet"};
constexpr long kPoints = 2 * 2 * kExpertCounts * 4 * 2;

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

// SIGKILLs every live process of session `sid` (the sweep, mpirun, and the ranks, which mpirun
// puts in process groups of their own but not in another session); returns how many it found.
int kill_session(pid_t sid) {
  int found = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = slurp(e.path() / "stat");
    const auto close = stat.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    char state = 0;
    long ppid = 0, pgrp = 0, session = 0;
    fields >> state >> ppid >> pgrp >> session;
    if (session != sid || state == 'Z') continue;
    ::kill(static_cast<pid_t>(std::stol(name)), SIGKILL);
    ++found;
  }
  return found;
}

// Starts the sweep in a session of its own and kills the whole session (mpirun and its ranks
// too) with SIGKILL once `after_points` points are journaled. Returns the points journaled at
// the kill, or -1 when the sweep finished first.
long kill_sweep_after(const std::vector<std::string>& args, long after_points) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setsid();
    ::setenv("SWITCHSIM_DATA_DIR", SWITCHSIM_SOURCE_DIR, 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<std::string> words{SWITCHSIM_BINARY};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    ::execv(SWITCHSIM_BINARY, argv.data());
    ::_exit(127);
  }
  const fs::path dir = args.back().substr(std::string("--out=").size());
  long at_kill = -1;
  for (int polls = 0; polls < 60000; ++polls) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return -1;  // finished before the kill
    if (const long n = journaled_points(dir); n >= after_points) {
      at_kill = n;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Until nothing of the session is left (mpirun may still be starting a rank).
  for (int round = 0; round < 100 && kill_session(pid) > 0; ++round)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  int status = 0;
  ::waitpid(pid, &status, 0);
  return at_kill;
}

void check_kill_and_resume(const std::vector<std::string>& extra, const std::string& name) {
  auto args = kSweep;
  args.insert(args.end(), extra.begin(), extra.end());
  const auto reference = resume_dir(name + "_ref"), resumed = resume_dir(name + "_resumed");
  const auto r = run_cli(joined(args) + " --out=" + reference.string());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  const long after = std::uniform_int_distribution<long>(1, kPoints - 1)(rng);
  INFO("killed once " << after << " of " << kPoints << " points were journaled");
  auto killed = args;
  killed.push_back("--out=" + resumed.string());
  const long at_kill = kill_sweep_after(killed, after);
  REQUIRE(at_kill >= after);
  CHECK_FALSE(fs::exists(resumed / "results.json"));

  const auto again = run_cli(joined(killed) + " --resume");
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  // It ran only the missing points: what the journal held is reported as done.
  CHECK_THAT(again.err, Catch::Contains("resuming: ") && Catch::Contains(" of " + std::to_string(kPoints) + " points"));
  const long kept = std::stol(again.err.substr(again.err.find("resuming: ") + 10));
  CHECK(kept >= at_kill);
  CHECK(kept < kPoints + 1);
  for (const char* file : {"results.json", "results.csv"}) {
    INFO(file);
    const auto expected = slurp(reference / file);
    REQUIRE_FALSE(expected.empty());
    CHECK(slurp(resumed / file) == expected);
  }
  CHECK(journaled_points(resumed) == 0);  // journals are removed once the results are published
  fs::remove_all(reference);
  fs::remove_all(resumed);
}
}  // namespace

TEST_CASE("a sweep on 2 threads killed at a random point and resumed writes the bytes of an uninterrupted run",
          "[sweep][resume]") {
  check_kill_and_resume({"--threads", "2"}, "threads");
}

TEST_CASE("a sweep on 2 MPI ranks killed at a random point and resumed writes the bytes of an uninterrupted run",
          "[sweep][resume][mpi]") {
  check_kill_and_resume({"--threads", "1", "--ranks", "2"}, "mpi");
}

TEST_CASE("sweep --resume refuses a journal of a different sweep with exit 2 naming the journal", "[sweep][resume]") {
  const auto dir = resume_dir("other");
  fs::create_directories(dir);
  std::ofstream(dir / "journal-rank0.jsonl") << R"({"switchsim_sweep_journal":1,"sweep":"another sweep"})" << "\n";
  const auto r = run_cli(joined(kSweep) + " --threads 1 --resume --out=" + dir.string());
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("journal-rank0.jsonl") && Catch::Contains("different sweep"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_FALSE(fs::exists(dir / "results.json"));
  fs::remove_all(dir);
}
