#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

using switchsim::test::run_cli;
using switchsim::test::source_path;

TEST_CASE("describe model prints the parameter count and FLOPs per token") {
  const auto r = run_cli("describe model switch-base-128");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("params_total              7.440 B (7439891712)"));
  CHECK_THAT(r.out, Catch::Contains("flops_per_token_forward"));
}

TEST_CASE("describe model --json is valid JSON with the stats") {
  const auto r = run_cli("describe model switch-c-2048 --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["stats"]["params_total"].get<std::int64_t>() > 1'560'000'000'000);
  CHECK(j["model"]["experts"] == 2048);
}

TEST_CASE("describe hardware shows per-core and per-chip figures for TPU v3") {
  const auto r = run_cli("describe hardware tpu-v3");
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("per chip  2 cores: bf16 123.000 TFLOP/s"));
}

TEST_CASE("list shows every shipped model and hardware file") {
  const auto models = run_cli("list models");
  CHECK(models.exit_code == 0);
  CHECK_THAT(models.out, Catch::Contains("switch-xxl-128") && Catch::Contains("moe-base-128"));
  const auto hw = run_cli("list hardware");
  CHECK_THAT(hw.out, Catch::Contains("h100-fat-tree-1024") && Catch::Contains("cluster"));
}

TEST_CASE("an unknown subcommand or option exits 2") {
  CHECK(run_cli("frobnicate").exit_code == 2);
  CHECK(run_cli("describe model t5-base --nope").exit_code == 2);
}

namespace {
// The command that reads a malformed input of each kind.
std::string command_for(const std::string& kind, const std::string& path, const std::string& out_dir) {
  if (kind == "model" || kind == "hardware") return "describe " + kind + " '" + path + "'";
  if (kind == "trace")
    return "simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --routing 'trace:" + path + "'";
  if (kind == "grid") return "sweep --grid '" + path + "' --quiet --out '" + out_dir + "'";
  if (kind == "topology") return "collective --cluster '" + path + "' --op alltoall --bytes 1M";
  FAIL("unknown kind " << kind);
  return "";
}
}  // namespace

TEST_CASE("each malformed input in tests/bad exits 2 with one line naming the file and the field, writing nothing") {
  std::ifstream in(source_path("tests/bad/expected.json"));
  const auto cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 40);
  const std::string out_dir = "/tmp/switchsim_bad_out_" + std::to_string(::getpid());
  for (const auto& c : cases) {
    const std::string file = "tests/bad/" + c["file"].get<std::string>();
    const std::string kind = c["kind"];
    INFO(file);
    const auto r = run_cli(command_for(kind, source_path(file), out_dir));
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::Contains(source_path(file)));
    CHECK_THAT(r.err, Catch::Contains(c["expect"].get<std::string>()));
    CHECK_THAT(r.err, !Catch::Contains("terminate") && !Catch::Contains("what()"));
    CHECK_FALSE(std::filesystem::exists(out_dir + "/results.json"));
  }
  std::filesystem::remove_all(out_dir);
}

TEST_CASE("a 100 MB file given as a model is refused by its size, before it is read") {
  const std::string path = "/tmp/switchsim_huge_" + std::to_string(::getpid()) + ".json";
  std::filesystem::resize_file((std::ofstream(path), path), 100u << 20);
  const auto r = run_cli("describe model '" + path + "'");
  CHECK(r.exit_code == 2);
  CHECK(r.err == "error: " + path + ": file: too large (104857600 bytes; limit 67108864)\n");
  std::filesystem::remove(path);
}
