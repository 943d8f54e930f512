#include <catch2/catch.hpp>

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

TEST_CASE("each malformed input in tests/bad exits 2 with one line naming the file and the field") {
  std::ifstream in(source_path("tests/bad/expected.json"));
  const auto cases = nlohmann::json::parse(in);
  REQUIRE(cases.size() >= 10);
  for (const auto& c : cases) {
    const std::string file = "tests/bad/" + c["file"].get<std::string>();
    const std::string kind = c["kind"];
    INFO(file);
    const auto r = run_cli("describe " + kind + " '" + source_path(file) + "'");
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_THAT(r.err, Catch::StartsWith("error: " + source_path(file)));
    CHECK_THAT(r.err, Catch::Contains(c["expect"].get<std::string>()));
  }
}
