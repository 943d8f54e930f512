// Hostile but realistic inputs (issue 20): outputs that never clobber what is not theirs,
// limits checked at the edge with one line naming the option, no hang, no wrapped integers.

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "test_files.hpp"

using switchsim::test::CliResult;
using switchsim::test::run_cli;
using switchsim::test::source_path;

namespace {
using switchsim::test::fresh_dir;
using switchsim::test::slurp;
const std::string kSimulate = "simulate --model switch-base-8 --cluster dgx-h100-8 --network closed-form --batch-tokens 4096";
// One error line, exit 2, naming `what`.
void check_one_line_error(const CliResult& r, const std::string& what) {
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: ") && Catch::Contains(what));
}
}  // namespace

TEST_CASE("a symlink planted at the old predictable temp name of --out is not followed") {
  const auto dir = fresh_dir("symlink");
  const auto victim = dir / "victim.txt";
  std::ofstream(victim) << "precious";
  const auto out = dir / "result.json";
  // The writer used to open ".<name>.tmp.<pid>" with truncate: plant a symlink at that name for
  // the very process that writes (exec keeps the shell's pid), and at a few neighbours too.
  const std::string command = fmt::format(
      "cd '{}' && for d in 0 1 2 3; do ln -s '{}' .result.json.tmp.$(($$ + d)); done; "
      "SWITCHSIM_DATA_DIR='{}' exec '{}' {} --out result.json >/dev/null 2>&1",
      dir.string(), victim.string(), SWITCHSIM_SOURCE_DIR, SWITCHSIM_BINARY, kSimulate);
  const int status = std::system(("bash -c \"" + command + "\"").c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(slurp(victim) == "precious");
  CHECK_THAT(slurp(out), Catch::Contains("\"step_time_s\""));
  // Only the result, the victim and the planted link(s): no temp file left behind.
  int links = 0, files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_symlink()) ++links;
    else ++files;
  }
  CHECK(links >= 1);
  CHECK(files == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an --out that is a FIFO exits 2 before simulating and leaves the FIFO in place") {
  const auto dir = fresh_dir("fifo");
  const auto fifo = dir / "out.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Nobody reads the FIFO: opening it for writing would block forever; the run must not open it.
  const auto r = run_cli(kSimulate + " --out '" + fifo.string() + "'", 60);
  check_one_line_error(r, fifo.string() + ": is a FIFO, not a regular file");
  CHECK(std::filesystem::is_fifo(fifo));
  std::filesystem::remove_all(dir);
}

TEST_CASE("a --trace that is a device node or a symlink exits 2 and leaves it in place") {
  const auto r = run_cli(kSimulate + " --trace /dev/null");
  check_one_line_error(r, "/dev/null: is a device node");
  CHECK(std::filesystem::is_character_file("/dev/null"));

  const auto dir = fresh_dir("link");
  std::ofstream(dir / "target.json") << "old";
  std::filesystem::create_symlink(dir / "target.json", dir / "link.json");
  const auto l = run_cli(kSimulate + " --out '" + (dir / "link.json").string() + "'");
  check_one_line_error(l, "is a symbolic link");
  CHECK(std::filesystem::is_symlink(dir / "link.json"));
  CHECK(slurp(dir / "target.json") == "old");
  std::filesystem::remove_all(dir);
}

TEST_CASE("an --out over an existing regular file replaces it whole") {
  const auto dir = fresh_dir("replace");
  const auto out = dir / "r.json";
  std::ofstream(out) << std::string(100000, 'x');
  REQUIRE(run_cli(kSimulate + " --out '" + out.string() + "'").exit_code == 0);
  const auto text = slurp(out);
  CHECK(nlohmann::json::parse(text)["batch_tokens"] == 4096);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a batch of 2^62 tokens is refused at the edge, naming --batch-tokens and the limit, without sampling") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_cli(
      "simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4611686018427387904", 60);
  check_one_line_error(r, "--batch-tokens must be at most 2^40");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  check_one_line_error(run_cli("sweep --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 1125899906842624 "
                               "--quiet --out /tmp/switchsim_hostile_no_sweep",
                               60),
                       "--batch-tokens");
}

TEST_CASE("a model whose saved attention activations leave 64 bits exits 2 naming the product, not a wrapped size") {
  // seq_len_input 2^24 and heads 4096 are each within limits.hpp, and one layer's softmax,
  // 2 x (sequences x heads) x seq^2 x 2 bytes = 2^62 per device, still fits; the activations the
  // backward keeps, 12 encoder layers x 2^24 tokens x (heads x seq_len_input = 2^36 + ...) ~ 12 x
  // 2^60 elements, do not. Summed with plain products they wrapped into a plausible memory figure.
  const auto dir = fresh_dir("remat");
  auto model = nlohmann::json::parse(slurp(source_path("models/switch-base-8.json")));
  model["name"] = "remat-overflow";
  model["seq_len_input"] = 1 << 24;
  model["heads"] = 4096;
  const auto file = dir / "remat-overflow.json";
  std::ofstream(file) << model.dump();
  const auto r = run_cli(fmt::format("simulate --model '{}' --cluster dgx-h100-8 --network closed-form --batch-tokens {}",
                                     file.string(), (1ll << 24) * 8),
                         60);
  check_one_line_error(r, "encoder attention activations of all encoder_layers (encoder_layers x tokens x (2 d_model + "
                          "5 heads x d_kv + heads x seq_len_input)) exceeds the 64-bit range");
  CHECK_THAT(r.err, Catch::Contains(file.string()));
  std::filesystem::remove_all(dir);
}

TEST_CASE("an --experts beyond the limit and --threads beyond the limit exit 2 naming the option") {
  check_one_line_error(run_cli(kSimulate + " --experts 2147483648"), "--experts must be at most 65536");
  check_one_line_error(run_cli("sweep --model switch-base-8 --cluster dgx-h100-8 --threads 100000 --quiet --out "
                               "/tmp/switchsim_hostile_no_sweep"),
                       "--threads");
  check_one_line_error(run_cli(kSimulate + " --capacity-factor 1e30"), "--capacity-factor must be > 0 and at most 1e6");
}

TEST_CASE("a grid of 10^9 points given by options exits 2 before any point runs") {
  std::string list;
  for (int i = 1; i <= 1000; ++i) {
    if (i > 1) list += ',';
    list += std::to_string(i);
  }
  check_one_line_error(run_cli("sweep --model switch-base-8 --cluster dgx-h100-8 --experts " + list +
                               " --top-k " + list + " --batch-tokens " + list +
                               " --quiet --out /tmp/switchsim_hostile_no_sweep"),
                       "give 1000000000 points, more than 1048576");
}

TEST_CASE("the --seed option accepts exactly 0 to 2^64-1 written in decimal") {
  for (const char* bad : {"-1", "18446744073709551616", "0x10", "1e3", "+5", "''"}) {
    INFO(bad);
    check_one_line_error(run_cli(kSimulate + " --seed " + bad), "--seed");
  }
  CHECK(run_cli(kSimulate + " --seed 18446744073709551615 --json").exit_code == 0);
  CHECK(run_cli(kSimulate + " --seed 0").exit_code == 0);
}

TEST_CASE("an empty item in --layout is an error, not a default") {
  for (const char* bad : {"dp=8,,", ",dp=8", "dp=8,", "dp=4,,tp=2"}) {
    INFO(bad);
    check_one_line_error(run_cli(kSimulate + " --layout '" + bad + "'"), "--layout: empty item");
  }
  check_one_line_error(run_cli(kSimulate + " --layout dp=4,dp=8"), "--layout: dp is given twice");
}

TEST_CASE("collective refuses a step factor that never ends, zero ranks and sizes past the limit") {
  const std::string c = "collective --cluster dgx-h100-8 --op allreduce --algo ring ";
  check_one_line_error(run_cli(c + "--bytes 8 --max-bytes 1G --step-factor 1.0000001", 60),
                       "--step-factor 1.0000001 from --bytes 8 to --max-bytes 1073741824 gives more than 4096 sizes");
  check_one_line_error(run_cli(c + "--bytes 1M --step-factor inf --max-bytes 1G"), "--step-factor must be a finite");
  check_one_line_error(run_cli(c + "--bytes 1M --ranks 0"), "--ranks must be at least 1, got 0");
  check_one_line_error(run_cli(c + "--bytes 1M --ranks-per-node 0"), "--ranks-per-node must be at least 1, got 0");
  check_one_line_error(run_cli(c + "--bytes 9223372036854775807"), "--bytes: at most 2^40 bytes");
  // A factor barely above 1 over a short range is fine: 1024..1030 in steps of one byte.
  const auto ok = run_cli(c + "--bytes 1024 --max-bytes 1030 --step-factor 1.0000001 --json");
  CHECK(ok.exit_code == 0);
  CHECK(nlohmann::json::parse(ok.out)["results"].size() == 7);
}

// The reproduction: under `ulimit -v` of about 1 GB every command hung in an OpenBLAS
// thread retrying a failed 128 MB mmap. Since the CUDA reference moved into the switchsim-cuda
// helper, switchsim maps no cuBLASLt or NCCL, so the 256 MB limit holds for the commands
// that do no BLAS.
int run_limited(std::int64_t kib, const std::string& args) {
  const std::string command =
      fmt::format("bash -c \"ulimit -v {}; SWITCHSIM_DATA_DIR='{}' exec timeout 60 '{}' {}\" >/dev/null 2>&1", kib,
                  SWITCHSIM_SOURCE_DIR, SWITCHSIM_BINARY, args);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_CASE("the --version flag, describe and simulate run under a 1 GiB address-space limit") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not run under AddressSanitizer: its shadow memory reserves terabytes of address space");
  return;
#endif
  CHECK(run_limited(1048576, "--version") == 0);
  CHECK(run_limited(1048576, "describe model switch-base-128") == 0);
  CHECK(run_limited(1048576, "describe hardware dgx-h100-8") == 0);
  CHECK(run_limited(1048576, "simulate --model switch-base-8 --cluster dgx-h100-8 --network closed-form") == 0);
}

TEST_CASE("the --version flag and describe run under a 256 MB address-space limit") {
#if defined(__SANITIZE_ADDRESS__)
  WARN("not run under AddressSanitizer: its shadow memory reserves terabytes of address space");
  return;
#endif
  CHECK(run_limited(262144, "--version") == 0);
  CHECK(run_limited(262144, "describe model switch-base-128") == 0);
  CHECK(run_limited(262144, "describe hardware dgx-h100-8") == 0);
}
