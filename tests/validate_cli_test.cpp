// `switchsim validate` end to end (2 MPI ranks, tiny layer, quick calibration into a temporary
// profile), its offline mode, the --target cuda paths on a machine without a GPU, and bad args.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "ref/cuda/api.hpp"
#include "report/measured_row.hpp"

namespace fs = std::filesystem;
using switchsim::test::run_cli;
using switchsim::test::source_path;

namespace {
std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

fs::path temp_dir(const std::string& what) {
  const auto dir = fs::temp_directory_path() / fmt::format("switchsim_validate_{}_{}", what, ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

bool has_gpu() {
  std::string why;
  return switchsim::ref::cuda::cuda_available(why);
}
}  // namespace

TEST_CASE("validate calibrates a missing profile, measures, predicts and gives a finite error for every phase") {
  const auto dir = temp_dir("e2e");
  const auto profile = dir / "tiny-host.json";
  const auto out = dir / "validate.json";
  const auto r = run_cli(fmt::format(
      "validate --target cpu --ranks 2 --experts 2,4 --capacity-factor 1.0 --tokens 64 --d-model 16 --d-ff 32 "
      "--warmup 1 --repeats 2 --profile '{}' --calibration quick --json --out '{}'",
      profile.string(), out.string()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(fs::exists(profile));
  CHECK(fs::exists(dir / "tiny-host-cluster-2.json"));
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  CHECK_THAT(j["context"]["profile"].get<std::string>(),
             Catch::Contains("calibrated now (quick calibration") && Catch::Contains("interleaved with the measurement") &&
                 Catch::Contains("the fixed grid only"));
  // The calibration is calibrate's fixed quick grid, m in {16, 128} x n, k in {4, 64}: none of the
  // predictions' own shapes, e.g. not the router's [T, d] x [d, E] = (64, 2, 16).
  auto has_shape = [](const fs::path& file, std::int64_t m, std::int64_t n, std::int64_t k) {
    const auto device = nlohmann::json::parse(std::ifstream(file));
    for (const auto& p : device["gemm_efficiency_table"])
      if (p["m"] == m && p["n"] == n && p["k"] == k) return true;
    return false;
  };
  const auto device = nlohmann::json::parse(std::ifstream(profile));
  // The quick grid's 8 shapes and the row-tail probe's 4, B as stored and transposed.
  CHECK(device["gemm_efficiency_table"].size() == 24);
  CHECK(device["gemm_grid"]["m"] == nlohmann::json{16, 128});
  CHECK_FALSE(has_shape(profile, 64, 2, 16));
  CHECK(j["context"].contains("load_average_1_5_15min"));
  REQUIRE(j["results"].size() == 2);
  for (const auto& row : j["results"]) {
    for (const char* phase : {"router", "dispatch", "alltoall_dispatch", "expert_ffn", "alltoall_combine", "combine"}) {
      INFO(phase);
      CHECK(row[std::string(phase) + "_time_s"].get<double>() > 0);
      const double err = row[std::string("err_") + phase].get<double>();
      CHECK(std::isfinite(err));
      CHECK(err == Approx(row[std::string(phase) + "_time_s"].get<double>() /
                              row[std::string("measured_") + phase + "_time_s"].get<double>() -
                          1.0));
    }
    CHECK(std::isfinite(row["err_step_time"].get<double>()));
    // The band: the prediction at the calibrated p90 rates below it, at the p10 rates above it.
    CHECK(row["step_time_s_lo"].get<double>() <= row["step_time_s"].get<double>());
    CHECK(row["step_time_s"].get<double>() <= row["step_time_s_hi"].get<double>());
    const double measured = row["measured_step_time_s"].get<double>();
    CHECK(row["measured_within_band"].get<bool>() ==
          (measured >= row["step_time_s_lo"].get<double>() && measured <= row["step_time_s_hi"].get<double>()));
    CHECK(row["predicted_capacity"] == row["capacity"]);  // max(ceil(64 / E), 4): the same rule on both sides
  }
  CHECK(j["summary"]["configs"] == 2);
  CHECK(j["summary"]["measured_within_band"].get<int>() ==
        int(j["results"][0]["measured_within_band"].get<bool>()) + int(j["results"][1]["measured_within_band"].get<bool>()));
  const double e0 = std::fabs(j["results"][0]["err_step_time"].get<double>());
  const double e1 = std::fabs(j["results"][1]["err_step_time"].get<double>());
  CHECK(j["summary"]["max_abs_err_step_time"].get<double>() == Approx(std::max(e0, e1)));
  CHECK(j["summary"]["median_abs_err_step_time"].get<double>() == Approx((e0 + e1) / 2));

  // --oracle: the predictions' own shapes, e.g. the router's (64, 2, 16) and the expert
  // up-projection (R * C = 2 * 32 rows, d_ff 32, d_model 16), calibrated into tiny-host-oracle.json;
  // the saved profile stays the fixed grid, and the same calibration cut to that grid predicts beside.
  const auto oracle_out = dir / "oracle.json";
  const auto o = run_cli(fmt::format(
      "validate --target cpu --ranks 2 --experts 2,4 --capacity-factor 1.0 --tokens 64 --d-model 16 --d-ff 32 "
      "--warmup 1 --repeats 2 --profile '{}' --calibration quick --oracle --json --out '{}'",
      profile.string(), oracle_out.string()));
  INFO(o.err);
  REQUIRE(o.exit_code == 0);
  const auto oracle_profile = dir / "tiny-host-oracle.json";
  CHECK(has_shape(oracle_profile, 64, 2, 16));
  CHECK(has_shape(oracle_profile, 64, 32, 16));
  CHECK_FALSE(has_shape(profile, 64, 2, 16));
  const auto oj = nlohmann::json::parse(std::ifstream(oracle_out));
  CHECK_THAT(oj["context"]["profile"].get<std::string>(), Catch::Contains("ORACLE"));
  // Paired: each config's shapes sampled right before it (validate/paired_schedule.hpp), and still
  // one sample of every shape a round (the drift check reads them so): 2 rounds, 2 samples.
  CHECK_THAT(oj["context"]["schedule"].get<std::string>(), Catch::Contains("own calibration shapes sampled right before it"));
  REQUIRE(oj["context"]["machine"]["calibration_round_drift"].is_number());
  for (const auto& row : oj["results"])
    CHECK(row["profile_err_step_time"].get<double>() ==
          Approx(row["profile_step_time_s"].get<double>() / row["measured_step_time_s"].get<double>() - 1));
  CHECK(oj["summary"].contains("profile_median_abs_err_step_time"));
  CHECK_THAT(oj["context"]["profile_columns"].get<std::string>(), Catch::Contains("fixed grid"));

  // The report module reads it as a measured file.
  const auto file = switchsim::report::read_measured_file(out);
  REQUIRE(file.results.size() == 2);
  CHECK(file.results[0].error() == Approx(j["results"][0]["err_step_time"].get<double>()));

  // A recent profile is reused; offline mode predicts the rows just written without measuring.
  const auto again = run_cli(fmt::format("validate --measured '{}' --profile '{}'", out.string(), profile.string()));
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("not re-measured"));
  CHECK_THAT(again.out, Catch::Contains("step time over 2 configs: median |err|"));
  fs::remove_all(dir);
}

TEST_CASE("validate's JSON is accepted by switchsim report --measured") {
  const auto dir = temp_dir("report");
  fs::copy_file(source_path("tests/data/sweep-small/results.json"), dir / "results.json");
  // Offline validation of the committed host measurements on the committed host profile.
  const auto out = dir / "validate.json";
  const auto v = run_cli(fmt::format("validate --measured '{}' --profile '{}' --json --out '{}'",
                                     source_path("traces/measured/host-vm.json"),
                                     source_path("hardware/host-vm.json"), out.string()));
  INFO(v.err);
  REQUIRE(v.exit_code == 0);
  const auto r = run_cli(fmt::format("report '{}' --measured '{}'", dir.string(), out.string()));
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(fs::exists(dir / "plot-measured.svg"));
  fs::remove_all(dir);
}

TEST_CASE("offline validation prints the same bytes every time (the calibration date, not its age)") {
  const std::string args = fmt::format("validate --measured '{}' --profile '{}' --json",
                                       source_path("traces/measured/host-vm-validate.json"),
                                       source_path("hardware/host-vm.json"));
  const auto a = run_cli(args);
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  CHECK_THAT(a.out, Catch::Contains("(calibrated 20"));
  CHECK_THAT(a.out, !Catch::Contains(" h ago"));
  const auto b = run_cli(args);
  CHECK(a.out == b.out);
}

TEST_CASE("measure, calibrate and validate for cuda without a GPU exit 3 with one line naming the missing device") {
  if (has_gpu()) return;  // the message only exists where there is no device
  for (const char* args : {"measure --target cuda --ranks 1 --experts 8", "calibrate --target cuda --out /tmp/x.json",
                           "validate --target cuda --ranks 1 --experts 8,16 --capacity-factor 1.0,1.25"}) {
    INFO(args);
    const auto r = run_cli(args);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::StartsWith("no CUDA device: "));
    CHECK(lines(r.err) == 1);
  }
}

TEST_CASE("a rank that fails inside the MPI run ends the run with its exit code instead of leaving its peer waiting") {
  // Rank 0 alone writes the calibrated profile; a directory in its place makes only rank 0
  // fail, while rank 1 waits in the next collective. Before MPI_Abort on failure, this hung.
  const auto dir = temp_dir("rank_failure");
  fs::create_directories(dir / "profile.json");
  const auto r = run_cli(fmt::format("validate --target cpu --ranks 2 --experts 2 --tokens 32 --d-model 8 --d-ff 16 "
                                     "--warmup 0 --repeats 1 --calibration quick --profile '{}'",
                                     (dir / "profile.json").string()),
                         /*timeout_s=*/120);
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("profile.json"));
  CHECK(lines(r.err) == 1);
  fs::remove_all(dir);
}

TEST_CASE("validate rejects bad arguments with exit 2 and one line") {
  for (const char* args : {"validate --target tpu", "validate --comm magic", "validate --calibration slow",
                           "validate --repeats 0", "validate --experts 3 --ranks 2",
                           "validate --measured /nonexistent/m.json --profile /nonexistent/p.json",
                           "validate --target cpu --profile /nonexistent/dir/p.json"}) {
    INFO(args);
    const auto r = run_cli(args);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err) == 1);
  }
}
