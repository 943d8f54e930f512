// `switchsim measure` and `switchsim calibrate` run the way a user runs them (2 MPI ranks,
// spawned through mpirun by the binary itself).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli_runner.hpp"
#include "config/catalog.hpp"
#include "test_files.hpp"

using switchsim::test::run_cli;

namespace {
}  // namespace

TEST_CASE("measure on 2 MPI ranks reports positive phase times and the hand-computed capacity") {
  const auto r = run_cli(
      "measure --target cpu --ranks 2 --experts 4 --tokens 256 --d-model 64 --d-ff 128 --warmup 1 --repeats 2 --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  const auto& ctx = j["context"];
  CHECK(ctx["ranks"] == 2);
  for (const char* key : {"tool_version", "git_sha", "date_utc", "host", "cpu_model", "cores", "blas", "mpi_library",
                          "build_type", "load_average_1_5_15min"})
    CHECK(ctx.contains(key));
  REQUIRE(j["results"].size() == 1);
  const auto& row = j["results"][0];
  CHECK(row["capacity"] == 64);  // max(ceil(1.0 * 256 / 4), 4)
  CHECK(row["ranks"] == 2);
  CHECK(row["repeats"] == 2);
  for (const char* phase : {"router", "dispatch", "alltoall_dispatch", "expert_ffn", "alltoall_combine", "combine"}) {
    INFO(phase);
    CHECK(row[std::string("measured_") + phase + "_time_s"].get<double>() > 0);
  }
  const double fwd = row["measured_forward_time_s"], bwd = row["measured_backward_time_s"],
               step = row["measured_step_time_s"];
  CHECK(step == Approx(fwd + bwd).epsilon(0.3));
  const double dropped = row["dropped_token_frac"];
  CHECK(dropped >= 0.0);
  CHECK(dropped <= 1.0);
  // dropped assignments over all ranks = the fraction times 2 ranks x 256 tokens
  CHECK(row["dropped_assignments"].get<double>() == Approx(dropped * 512));
  std::int64_t routed = 0;
  for (const auto& n : row["expert_tokens"]) routed += n.get<std::int64_t>();
  CHECK(routed == 512);
}

TEST_CASE("the layer split over 2 MPI ranks computes what one rank with all experts computes") {
  // Capacity with drops (cf 0.5), dropless with skew, GEGLU top-2: outputs and all gradients.
  for (const char* variant : {"--capacity-factor 0.5", "--padding dropless --routing zipf:1", "--ffn geglu --top-k 2"}) {
    INFO(variant);
    const auto r = run_cli(std::string("measure --target cpu --ranks 2 --experts 4 --tokens 64 --d-model 16 --d-ff 24 "
                                       "--warmup 0 --repeats 1 --check --json ") + variant);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto row = nlohmann::json::parse(r.out)["results"][0];
    CHECK(row["check_max_abs_diff"].get<double>() < 1e-4);
  }
}

TEST_CASE("measure lists measure the whole grid and print a text table with units") {
  const auto r = run_cli(
      "measure --target cpu --ranks 1 --experts 2,4 --capacity-factor 0.5,2 --tokens 64 --d-model 16 --d-ff 32 "
      "--warmup 0 --repeats 1");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 4 * 12);  // 4 configs x 12 lines
  CHECK_THAT(r.out, Catch::Contains("median_ms") && Catch::Contains("alltoall_dispatch"));
  CHECK_THAT(r.out, Catch::Contains("capacity 8 tokens/expert"));  // max(ceil(0.5 * 64 / 4), 4)
  // A grid this small is measured in interleaved rounds, and the context says so.
  const auto j = run_cli(
      "measure --target cpu --ranks 2 --experts 2,4 --tokens 32 --d-model 8 --d-ff 16 --warmup 0 --repeats 2 --json");
  INFO(j.err);
  REQUIRE(j.exit_code == 0);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK_THAT(doc["context"]["schedule"].get<std::string>(), Catch::StartsWith("2 configs in interleaved rounds"));
  for (const auto& row : doc["results"]) CHECK(row["repeats"] == 2);
}

TEST_CASE("measure rejects impossible layers with one line and exit 2") {
  const struct {
    const char* args;
    const char* says;
  } cases[] = {
      {"--ranks 3 --experts 4", "divisible"},
      {"--capacity-factor 0", "capacity factor"},
      {"--capacity-factor -1", "capacity factor"},
      {"--tokens 0", "tokens"},
      {"--d-model 0", "d_model"},
      {"--experts 4 --top-k 5", "top-k"},
      {"--routing skewed", "routing"},
      {"--padding ragged", "padding"},
      {"--target tpu", "target"},
  };
  for (const auto& c : cases) {
    INFO(c.args);
    const auto r = run_cli(std::string("measure --target cpu ") + c.args);
    CHECK(r.exit_code == 2);
    CHECK(switchsim::test::count_lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains(c.says));
    CHECK(r.out.empty());
  }
}

TEST_CASE("calibrate --quick writes a device and a cluster file that parse back") {
  const auto dir = std::filesystem::temp_directory_path() / ("switchsim_calibrate_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto device = dir / "quick-cpu.json";
  const auto r = run_cli("calibrate --target cpu --quick --name quick-cpu --out '" + device.string() + "'");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const switchsim::config::Catalog catalog(SWITCHSIM_SOURCE_DIR);
  const auto d = catalog.device(device.string());
  CHECK(d.kind == "cpu");
  CHECK(d.name == "quick-cpu");
  // The quick fixed grid m in {16, 128} x n, k in {4, 64}, and the row-tail probe's 4..7 rows x 64
  // x 64, each with B as stored and transposed.
  REQUIRE(d.gemm_efficiency_table.size() == 24);
  CHECK(std::count_if(d.gemm_efficiency_table.begin(), d.gemm_efficiency_table.end(),
                      [](const auto& p) { return p.transposed_b; }) == 12);
  REQUIRE(d.gemm_grid.has_value());
  CHECK(d.gemm_grid->k == std::vector<std::int64_t>{4, 64});
  double best = 0;
  for (const auto& p : d.gemm_efficiency_table) {
    CHECK(p.efficiency > 0);
    best = std::max(best, p.efficiency);
    REQUIRE(p.band.has_value());
    CHECK(p.band->lo <= p.efficiency);
  }
  CHECK(best == Approx(1.0));  // the peak is the best measured shape
  CHECK(d.kernel_overhead_band.has_value());
  CHECK_THAT(d.sources.at("peak_tflops"), Catch::Contains("measured by switchsim calibrate"));
  // The quick plan's one streaming working set (16 MiB) after the GEMM table's own (4x L2 at
  // 0 ns/byte): what a weight's trip beyond the cache costs, never negative.
  REQUIRE(d.gemm_operand_streaming.size() == 2);
  CHECK(d.gemm_operand_streaming[0].extra_ns_per_byte == 0.0);
  CHECK(d.gemm_operand_streaming[1].working_set == switchsim::Bytes(16 << 20));
  CHECK(d.gemm_operand_streaming[1].extra_ns_per_byte >= 0.0);
  CHECK(d.sources.contains("gemm_operand_streaming"));
  // The quick plan's routing probes: 2 and 32 experts, top-1 then top-2, each a positive cost.
  REQUIRE(d.router_ns_per_logit.size() == 4);
  CHECK(d.router_ns_per_logit[0].experts == 2);
  CHECK(d.router_ns_per_logit[1].experts == 32);
  CHECK(d.router_ns_per_logit[3].top_k == 2);
  for (const auto& p : d.router_ns_per_logit) {
    CHECK(p.ns_per_logit > 0);
    CHECK(p.backward_ns_per_logit > 0);
  }
  // The quick plan's row-tail probe: passes of 4 rows, a cost for 1, 2 and 3 more in each orientation.
  REQUIRE(d.gemm_row_tail.has_value());
  CHECK(d.gemm_row_tail->panel_rows == 4);
  CHECK(d.gemm_row_tail->ns_per_b_element.size() == 3);
  CHECK(d.gemm_row_tail->ns_per_b_element_transposed_b.size() == 3);
  CHECK(d.sources.contains("gemm_row_tail"));
  const auto c = catalog.cluster((dir / "quick-cpu-cluster-2.json").string());
  CHECK(c.devices == 2);
  CHECK(c.device.name == "quick-cpu");
  // The all-to-all of the quick plan's two sizes, each with its fitted value, in the sources.
  CHECK_THAT(c.sources.at("alltoall"), Catch::Contains("16384 B/peer") && Catch::Contains("262144 B/peer") &&
                                           Catch::Contains("fit"));
  std::filesystem::remove_all(dir);
}
