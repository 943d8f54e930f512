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

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "test_files.hpp"

using switchsim::test::run_cli;

namespace {
using switchsim::test::slurp;
std::string sweep_dir(const std::string& name) { return switchsim::test::fresh_dir("sweep_" + name, false).string(); }
const std::string kGrid =
    "sweep --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 8192 --experts 6,8,16,32 "
    "--capacity-factor 1.0,2.0 --routing uniform,zipf:1.2 --quiet";
}  // namespace

TEST_CASE("a sweep writes one row per point, and a point that cannot be built says why") {
  const auto dir = sweep_dir("rows");
  const auto r = run_cli(kGrid + " --threads 1 --out " + dir);
  REQUIRE(r.exit_code == 0);
  const auto results = nlohmann::json::parse(slurp(dir + "/results.json"));
  REQUIRE(results["results"].size() == 16);  // 4 expert counts x 2 cf x 2 routings
  const auto& first = results["results"][0];
  CHECK(first["experts"] == 6);
  CHECK(first["valid"] == false);
  CHECK_THAT(first["invalid_reason"].get<std::string>(), Catch::Contains("6 experts"));
  const auto& valid = results["results"][4];
  CHECK(valid["valid"] == true);
  CHECK(valid["step_time_s"].get<double>() > 0);
  // CSV: 4 context lines, a header, 16 rows.
  const auto csv = slurp(dir + "/results.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 4 + 1 + 16);
  CHECK_THAT(csv, Catch::Contains("step_time_s,tokens_per_s"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("sweep results are byte-identical with 1 or 2 threads and under mpirun with 2 ranks") {
  const auto one = sweep_dir("t1"), two = sweep_dir("t2"), mpi = sweep_dir("mpi");
  REQUIRE(run_cli(kGrid + " --threads 1 --out " + one).exit_code == 0);
  REQUIRE(run_cli(kGrid + " --threads 2 --out " + two).exit_code == 0);
  const auto r = run_cli(kGrid + " --threads 1 --ranks 2 --out " + mpi);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* file : {"results.json", "results.csv"}) {
    INFO(file);
    const auto reference = slurp(one + "/" + file);
    CHECK_FALSE(reference.empty());
    CHECK(slurp(two + "/" + file) == reference);
    CHECK(slurp(mpi + "/" + file) == reference);
  }
  for (const auto& d : {one, two, mpi}) std::filesystem::remove_all(d);
}

TEST_CASE("sweep refuses bad lists and missing options with one line and exit code 2") {
  const auto dir = sweep_dir("bad");
  for (const std::string& args : {"--model switch-base-8 --cluster dgx-h100-8 --experts 8,x --out " + dir,
                                 "--model switch-base-8 --cluster dgx-h100-8 --capacity-factor 0 --out " + dir,
                                 "--model switch-base-8 --cluster nowhere --out " + dir,
                                 std::string("--model switch-base-8 --cluster dgx-h100-8"),
                                 "--grid /nonexistent/grid.json --out " + dir}) {
    INFO(args);
    const auto r = run_cli("sweep " + args);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir + "/results.json"));
  std::filesystem::remove_all(dir);
}

// Results go to a temp file that is renamed into place, so a sweep killed at any moment
// leaves either no results.json or a complete one.
TEST_CASE("a sweep killed with SIGKILL at random moments never leaves a truncated results file") {
  const auto dir = sweep_dir("kill");
  std::filesystem::create_directories(dir);
  std::mt19937 rng(7);
  int complete = 0;
  for (int attempt = 0; attempt < 12; ++attempt) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const std::string out = "--out=" + dir;
      ::setenv("SWITCHSIM_DATA_DIR", SWITCHSIM_SOURCE_DIR, 1);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(SWITCHSIM_BINARY, SWITCHSIM_BINARY, "sweep", "--model", "switch-base-8,switch-base-16", "--cluster",
              "dgx-h100-8,tpu-v3-32", "--batch-tokens", "65536", "--experts", "8,16,32,64", "--capacity-factor",
              "0.5,1.0,1.25,2.0", "--threads", "1", "--quiet", out.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (const char* file : {"results.json", "results.csv"}) {
      const auto path = std::filesystem::path(dir) / file;
      if (!std::filesystem::exists(path)) continue;
      const auto text = slurp(path);
      if (std::string(file) == "results.json") {
        const auto json = nlohmann::json::parse(text);  // throws on a truncated file
        CHECK(json["results"].size() == 64);
        ++complete;
      } else {
        CHECK(std::count(text.begin(), text.end(), '\n') == 4 + 1 + 64);
      }
    }
  }
  INFO("runs that had finished writing before the kill: " << complete);
  std::filesystem::remove_all(dir);
}
