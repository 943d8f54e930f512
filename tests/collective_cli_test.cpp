// `switchsim collective` as a user runs it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"

using switchsim::test::run_cli;
using switchsim::test::source_path;

TEST_CASE("switchsim collective prints time, algbw and busbw with units in the column names") {
  const auto r = run_cli("collective --cluster dgx-h100-8 --op alltoall --algo direct --bytes 1G");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("size_bytes") && Catch::Contains("time_us") && Catch::Contains("algbw_GBps") &&
                        Catch::Contains("busbw_GBps"));
  CHECK_THAT(r.out, Catch::Contains("449.7"));  // busbw of 1 GiB on 8 x 450 GB/s
  CHECK_THAT(r.out, Catch::Contains("peak utilization by link class: nvlink 1.000"));
}

TEST_CASE("switchsim collective sweeps sizes like nccl-tests and reports JSON") {
  const auto r = run_cli("collective --cluster dgx-h100-8 --op allreduce --bytes 8 --max-bytes 1K --step-factor 2 --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["algorithm"] == "ring");
  REQUIRE(j["results"].size() == 8);  // 8, 16, ..., 1024
  CHECK(j["results"][7]["size_bytes"] == 1024);
  CHECK(j["results"][0]["time_us"].get<double>() == Approx(14.0).epsilon(1e-3));
}

TEST_CASE("switchsim collective takes a skew for alltoallv") {
  const auto r = run_cli("collective --cluster dgx-h100-8 --op alltoallv --bytes 1G --skew hot:1 --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  // Every rank sends all of its 1 GiB to rank 0: 7 GiB into one 450 GB/s link.
  CHECK(j["results"][0]["time_us"].get<double>() == Approx(7.0 * (1 << 30) / 450e9 * 1e6 + 1).epsilon(1e-6));
}

TEST_CASE("bad collective arguments exit 2 with one line") {
  for (const char* args : {"collective --cluster dgx-h100-8 --op alltoall --algo ring --bytes 1G",
                           "collective --cluster dgx-h100-8 --op broadcast --bytes 1G",
                           "collective --cluster dgx-h100-8 --bytes 12Q",
                           "collective --cluster dgx-h100-8 --bytes 1G --ranks 9",
                           "collective --cluster dgx-h100-8 --op alltoallv --bytes 1G --skew zipf",
                           "collective --cluster dgx-h100-8 --bytes 1G --skew hot:0.5"}) {
    INFO(args);
    const auto r = run_cli(args);
    CHECK(r.exit_code == 2);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("a disconnected edge list exits 2 with one line naming the file and the field") {
  const auto file = source_path("tests/bad/cluster-disconnected-edges.json");
  const auto r = run_cli("collective --cluster '" + file + "' --bytes 1M");
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK_THAT(r.err, Catch::StartsWith("error: " + file + ": /topology/links: the network is disconnected"));
}

TEST_CASE("simulate --network flow agrees with the closed forms on a non-blocking switch and differs on a torus") {
  const auto phase = [](const std::string& args, const char* field) {
    // The same algorithms on both models: auto could pick differently shaped trees.
    const auto r = run_cli("simulate --model switch-base-128 --allreduce-algo ring " + args + " --json");
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out)[field].get<double>();
  };
  // On one NVSwitch every closed form in comm/closed_form.hpp is exact (to the picosecond
  // rounding) for a collective alone. --no-overlap: the gradient all-reduces run after the
  // backward pass, so no two collectives overlap and the co-simulated flow step times each
  // alone (overlapped, they share NVLinks with the all-to-alls, which closed forms do not see).
  for (const char* field : {"alltoall_dispatch_time_s", "allreduce_time_s"}) {
    INFO(field);
    CHECK(phase("--cluster dgx-h100-8 --network flow --no-overlap", field) ==
          Approx(phase("--cluster dgx-h100-8 --network closed-form --no-overlap", field)).epsilon(1e-6));
  }
  // On the TPU torus the flows share ICI links the closed form does not see: slower.
  CHECK(phase("--cluster tpu-v3-32 --network flow", "alltoall_dispatch_time_s") >
        phase("--cluster tpu-v3-32 --network closed-form", "alltoall_dispatch_time_s"));
}
