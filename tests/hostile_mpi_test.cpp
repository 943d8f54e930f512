// Multi-rank runs from a hostile world: a rank that dies is reported (which rank, which
// signal) instead of a silent exit 137, and killing the command stops mpirun and every rank.

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include "test_files.hpp"

namespace {
using switchsim::test::slurp;

// A sweep that keeps two ranks busy for minutes: 512 points, the first half on one DGX H100
// (milliseconds each, so a rank journals its first point within a second even under the
// sanitizers), the second on the 1,024-GPU fat-tree's flow network (about a second each).
// The kill waits until the rank has journaled a point (mid-sweep, not starting up or tearing
// down: a kill while the other rank was already exiting once left mpirun waiting forever).
std::string long_sweep(const std::filesystem::path& out) {
  return fmt::format(
      "SWITCHSIM_DATA_DIR='{}' '{}' sweep --model switch-base-128 --cluster dgx-h100-8,h100-fat-tree-1024 --network flow "
      "--experts 128,256 --capacity-factor 1.0,1.25,1.5,2.0 --batch-tokens 1048576,2097152,4194304,8388608 "
      "--routing uniform,zipf:1.05,zipf:1.1,zipf:1.2,zipf:1.3,zipf:1.4,zipf:1.5,zipf:1.6 --threads 1 --ranks 2 "
      "--quiet --out '{}'",
      SWITCHSIM_SOURCE_DIR, SWITCHSIM_BINARY, out.string());
}

// Shell text: find_rank R P waits (up to 60 s) until the rank with OMPI_COMM_WORLD_RANK=R
// under the switchsim process P exists and has journaled a point in OUT ($3), and prints its pid
// and mpirun's. A watchdog kills the whole run after 120 s, so a hang fails the test (with the
// rank's state in OUT/hung) instead of stalling CI.
const char* kFindRank = R"sh(find_rank() {
  for i in $(seq 600); do
    m=$(pgrep -P $2 mpirun)
    for r in $(pgrep -P "$m" 2>/dev/null); do
      if tr '\0' '\n' < /proc/$r/environ 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" &&
         [ -f "$3/journal-rank$1.jsonl" ] && [ "$(wc -l < "$3/journal-rank$1.jsonl")" -ge 2 ]; then echo "$r $m"; return; fi
    done
    sleep 0.1
  done
}
# A process that exists and is not a zombie (a killed rank may wait a while to be reaped).
alive() { [ -e /proc/$1 ] && ! grep -q ') Z ' /proc/$1/stat 2>/dev/null; }
# watchdog P DIR: after 120 s, records what is still running in DIR/hung and kills P's tree.
watchdog() {
  ( sleep 120
    ps -o pid,stat,etime,cmd --ppid "$(pgrep -P $1 mpirun | head -1)" > "$2/hung" 2>&1
    pkill -9 -P "$(pgrep -P $1 mpirun | head -1)" 2>/dev/null; pkill -9 -P $1 2>/dev/null; kill -9 $1 2>/dev/null ) >/dev/null 2>&1 &
  echo $!
}
)sh";

int run_shell(const std::string& script) {
  const auto file = std::filesystem::temp_directory_path() / fmt::format("switchsim_mpi_test_{}.sh", ::getpid());
  std::ofstream(file) << script;
  const int status = std::system(("bash '" + file.string() + "'").c_str());
  std::filesystem::remove(file);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

TEST_CASE("a rank killed by SIGKILL is reported on stderr with its rank and signal, and the command exits 3") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("switchsim_rank_death_{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string script = std::string(kFindRank) + fmt::format(
                                                          "{} 2>'{}/err' &\n"
                                                          "p=$!\n"
                                                          "w=$(watchdog $p '{}')\n"
                                                          "set -- $(find_rank 1 $p '{}/out')\n"
                                                          "kill -9 $1\n"
                                                          "wait $p\n"
                                                          "echo $? > '{}/rc'\n"
                                                          "kill $w 2>/dev/null\n",
                                                          long_sweep(dir / "out"), dir.string(), dir.string(),
                                                          dir.string(), dir.string());
  run_shell(script);
  const std::string err = slurp(dir / "err");
  INFO(err);
  INFO("still running after 120 s: " << slurp(dir / "hung"));
  CHECK_FALSE(std::filesystem::exists(dir / "hung"));
  CHECK(slurp(dir / "rc") == "3\n");
  CHECK(err == "error: MPI rank 1 died from signal 9 (Killed)\n");
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.json"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("killing the command stops mpirun and its ranks, which write nothing") {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("switchsim_parent_death_{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string script = std::string(kFindRank) + fmt::format(
                                                          "{} 2>/dev/null &\n"
                                                          "p=$!\n"
                                                          "set -- $(find_rank 0 $p '{}/out')\n"
                                                          "rank=$1; mpirun=$2\n"
                                                          "kill -9 $p\n"
                                                          "wait $p 2>/dev/null\n"
                                                          "for i in $(seq 100); do\n"
                                                          "  alive $rank || alive $mpirun || break\n"
                                                          "  sleep 0.1\n"
                                                          "done\n"
                                                          "if alive $rank || alive $mpirun; then echo alive; else echo gone; fi > '{}/state'\n",
                                                          long_sweep(dir / "out"), dir.string(), dir.string());
  run_shell(script);
  CHECK(slurp(dir / "state") == "gone\n");
  // The sweep was far from done: nothing may appear later either.
  ::sleep(2);
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "results.json"));
  std::filesystem::remove_all(dir);
}
