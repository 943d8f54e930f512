#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "test_files.hpp"

using switchsim::test::run_cli;

namespace {
using switchsim::test::slurp;
}  // namespace

TEST_CASE("simulate --json prints one row with inputs and unit-named outputs") {
  const auto r = run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --json");
  REQUIRE(r.exit_code == 0);
  const auto row = nlohmann::json::parse(r.out);
  CHECK(row["model"] == "switch-base-8");
  CHECK(row["devices"] == 8);
  CHECK(row["layout"] == "dp=8,tp=1,ep=8");
  for (const char* key : {"step_time_s", "tokens_per_s", "examples_per_s", "mfu", "dropped_token_frac", "aux_loss_proxy",
                          "mem_per_device_bytes", "oom", "router_time_s", "dispatch_time_s", "alltoall_dispatch_time_s",
                          "expert_ffn_time_s", "alltoall_combine_time_s", "combine_time_s", "attention_time_s",
                          "dense_ffn_time_s", "allreduce_time_s", "optimizer_time_s"})
    CHECK(row.contains(key));
  // 8 sequences of 512 + 114 tokens per step.
  CHECK(row["tokens_per_s"].get<double>() * row["step_time_s"].get<double>() == Approx(8 * 626));
}

TEST_CASE("simulate writes byte-identical JSON and traces for the same inputs and seed") {
  const std::string args =
      "simulate --model switch-base-16 --cluster dgx-h100-8 --batch-tokens 8192 --routing zipf:1.2 --padding dropless "
      "--seed 5 --json";
  const auto a = run_cli(args + " --trace /tmp/switchsim_trace_a.json");
  const auto b = run_cli(args + " --trace /tmp/switchsim_trace_b.json");
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  const auto trace = slurp("/tmp/switchsim_trace_a.json");
  CHECK(trace == slurp("/tmp/switchsim_trace_b.json"));
  const auto json = nlohmann::json::parse(trace);
  CHECK(json["traceEvents"].size() > 100);
  std::remove("/tmp/switchsim_trace_a.json");
  std::remove("/tmp/switchsim_trace_b.json");
}

TEST_CASE("simulate refuses bad arguments with one line and exit code 2") {
  for (const char* args : {"--capacity-factor 0", "--capacity-factor -1", "--experts 6", "--batch-tokens 0",
                           "--batch-tokens 1000", "--layout dp=3", "--routing zipf:x", "--top-k 9",
                           "--routing trace:/nonexistent.json", "--padding sometimes"}) {
    INFO(args);
    const auto r = run_cli(std::string("simulate --model switch-base-8 --cluster dgx-h100-8 ") + args);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(r.out.empty());
  }
}

TEST_CASE("simulate of a model that does not fit says so in its result, and exits 0") {
  const auto r = run_cli("simulate --model switch-c-2048 --cluster dgx-h100-8 --json");
  REQUIRE(r.exit_code == 0);
  const auto row = nlohmann::json::parse(r.out);
  CHECK(row["oom"] == true);
  CHECK(row["memory"]["weights_bytes"].get<double>() > row["hbm_bytes"].get<double>());
}

// Switch-C-2048 at 1M tokens per step on 4,096 GPUs. A week of steps (604,800 s) fits in
// 64-bit picoseconds (9.2e18 ps = 106 days); a billion steps do not, and the checked
// arithmetic refuses them instead of wrapping around to a small or negative time.
TEST_CASE("a week-long Switch-C-2048 run on 4,096 GPUs fits the picosecond range and a billion steps hit the guard") {
  const std::string base = "simulate --model switch-c-2048 --cluster '" + switchsim::test::source_path("tests/data/h100-fat-tree-4096.json") +
                           "' --batch-tokens 1048576 --layout dp=2048,tp=2 --network closed-form --json";  // the range, not the network, is under test
  const auto one = run_cli(base);
  REQUIRE(one.exit_code == 0);
  const double step = nlohmann::json::parse(one.out)["step_time_s"].get<double>();
  const auto steps_per_week = static_cast<std::int64_t>(604800.0 / step);
  const auto week = run_cli(base + " --steps " + std::to_string(steps_per_week));
  REQUIRE(week.exit_code == 0);
  const double run_time = nlohmann::json::parse(week.out)["run_time_s"].get<double>();
  CHECK(run_time == Approx(604800.0).epsilon(1e-5));
  const auto overflow = run_cli(base + " --steps 1000000000");
  CHECK(overflow.exit_code == 2);
  CHECK_THAT(overflow.err, Catch::StartsWith("error: a run of 1000000000 steps does not fit in 64-bit picoseconds"));
  CHECK(overflow.out.empty());
}

TEST_CASE("simulate times collectives on the flow network unless told closed-form") {
  const auto flow = run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --json");
  REQUIRE(flow.exit_code == 0);
  CHECK(nlohmann::json::parse(flow.out)["network"] == "flow");
  const auto closed =
      run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --network closed-form --json");
  REQUIRE(closed.exit_code == 0);
  CHECK(nlohmann::json::parse(closed.out)["network"] == "closed-form");
}

TEST_CASE("the trace has a track per device stream and per link class the collectives loaded") {
  const std::string path = "/tmp/switchsim_trace_links_" + std::to_string(::getpid()) + ".json";
  const auto r = run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --network flow --trace " + path);
  REQUIRE(r.exit_code == 0);
  const auto trace = nlohmann::json::parse(slurp(path));
  std::vector<std::string> tracks;
  for (const auto& e : trace["traceEvents"])
    if (e["name"] == "thread_name") tracks.push_back(e["args"]["name"]);
  CHECK(std::find(tracks.begin(), tracks.end(), "device0/compute") != tracks.end());
  CHECK(std::find(tracks.begin(), tracks.end(), "device0/comm") != tracks.end());
  // The flow network gives the gradient all-reduces their own stream (docs/modelling.md).
  CHECK(std::find(tracks.begin(), tracks.end(), "device0/grad_comm") != tracks.end());
  // On one NVSwitch node every collective crosses NVLink, at full load for an all-to-all.
  CHECK(std::find(tracks.begin(), tracks.end(), "links/nvlink") != tracks.end());
  std::remove(path.c_str());
}

namespace {
std::string trace_file(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/switchsim_cli_" + name + "_" + std::to_string(::getpid()) + ".json";
  std::ofstream(path) << text;
  return path;
}
}  // namespace

// switch-base-8 on 8 devices, 4096 tokens: each device's group holds 512 encoder tokens (one
// sequence) and 114 decoder tokens; at cf 1.25 the capacities are ceil(1.25 x 512 / 8) = 80 and
// ceil(1.25 x 114 / 8) = 18. The trace's counts are every group's (no resampling); for the
// decoder they are scaled to 114 tokens by largest remainders.
TEST_CASE("a 3-step routing trace gives 3 different dropped fractions with --steps 3, each derived by hand") {
  const auto path = trace_file("steps3", R"({"experts": 8, "tokens_per_group": 512, "steps": [
      [64, 64, 64, 64, 64, 64, 64, 64],
      [128, 64, 64, 64, 64, 64, 64, 0],
      [256, 256, 0, 0, 0, 0, 0, 0]]})");
  const auto r = run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --capacity-factor 1.25 "
                         "--network closed-form --json --steps 3 --routing 'trace:" + path + "'");
  REQUIRE(r.exit_code == 0);
  const auto row = nlohmann::json::parse(r.out);
  const auto& steps = row["per_step"];
  REQUIRE(steps.size() == 3);
  // Step 0: 64 <= 80 everywhere; decoder 14.25 -> [15, 15, 14, ...] <= 18: nothing dropped.
  CHECK(steps[0]["dropped_token_frac"].get<double>() == 0.0);
  // Step 1: encoder 128 - 80 = 48 dropped of 512; decoder [29, 15, 14, ...]: 29 - 18 = 11 of 114.
  CHECK(steps[1]["dropped_token_frac"].get<double>() == Approx(59.0 / 626));
  // Step 2: encoder 2 x (256 - 80) = 352; decoder [57, 57, 0, ...]: 2 x (57 - 18) = 78.
  CHECK(steps[2]["dropped_token_frac"].get<double>() == Approx(430.0 / 626));
  CHECK(row["dropped_token_frac"].get<double>() == Approx((59.0 + 430.0) / 626 / 3));
  double sum = 0;
  for (const auto& s : steps) {
    CHECK(s["occurrences"] == 1);
    CHECK_FALSE(s.contains("aux_loss"));  // no router probabilities in this trace
    sum += s["step_time_s"].get<double>();
  }
  CHECK(row["run_time_s"].get<double>() == Approx(sum));
  CHECK_FALSE(row.contains("aux_loss"));
  CHECK(row.contains("aux_loss_proxy"));
  std::remove(path.c_str());
}

TEST_CASE("a trace with the router's probability mass per expert gives the exact auxiliary loss") {
  // f = (1/2, 1/2, 0, ...) in both stacks (decoder: 57, 57 of 114), P = (0.4, 0.3, 0.05 x 6):
  // aux = 0.01 x 8 x (0.5 x 0.4 + 0.5 x 0.3) = 0.028; proxy = 0.01 x 8 x (0.25 + 0.25) = 0.04.
  const auto path = trace_file("prob", R"({"experts": 8, "tokens_per_group": 512, "steps": [
      {"counts": [256, 256, 0, 0, 0, 0, 0, 0], "router_prob": [0.4, 0.3, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]}]})");
  const auto r = run_cli("simulate --model switch-base-8 --cluster dgx-h100-8 --batch-tokens 4096 --network closed-form "
                         "--json --routing 'trace:" + path + "'");
  REQUIRE(r.exit_code == 0);
  const auto row = nlohmann::json::parse(r.out);
  CHECK(row["aux_loss"].get<double>() == Approx(0.028));
  CHECK(row["aux_loss_proxy"].get<double>() == Approx(0.04));
  std::remove(path.c_str());
}
