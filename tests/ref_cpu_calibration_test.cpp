// The CPU calibration's arithmetic (the all-to-all fit, the plan) and the files it writes, on
// synthetic samples computed by hand; and the interleaved layer measurement on one rank.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "compute/kernel_model.hpp"
#include "config/cluster_config.hpp"
#include "config/device_config.hpp"
#include "ref/cpu/calibration.hpp"
#include "ref/cpu/calibrator.hpp"
#include "ref/cpu/layer_runner.hpp"
#include "mpi/session.hpp"

using namespace switchsim;
using namespace switchsim::ref::cpu;

namespace {
AlltoallSample at(std::int64_t bytes, double us) {
  AlltoallSample s;
  s.bytes_per_peer = bytes;
  s.us.median = us;
  return s;
}

CalibrationResult synthetic_result() {
  CalibrationResult r;
  r.host.host = "testhost";
  r.host.cores = 2;
  r.host.memory_gib = 8;
  r.host.date_utc = "2026-12-02T00:00:00Z";
  r.rounds = 3;
  r.threads_per_rank = 1;
  r.ranks = 2;
  GemmSample g1{64, 64, 64, {50, 45, 55, 50}};
  GemmSample g2{256, 256, 256, {100, 90, 110, 100}};
  r.gemm = {g1, g2};
  r.stream_GBps = {20, 18, 25, 21};
  r.stream_bytes = 1 << 20;
  r.tiny_gemm_us = {0.02, 0.02, 0.03, 0.02};
  // t = 20 us + 0.0005 us/B x (2 - 1) x bytes: latency 10 us per link, 2 GB/s.
  r.alltoall = {at(1000, 20.5), at(100000, 70), at(1000000, 520)};
  return r;
}
}  // namespace

TEST_CASE("the all-to-all fit recovers an exact line: fixed cost and per-byte cost") {
  // t = 10 us + 0.001 us/B x (3 - 1) x bytes
  const auto f = fit_alltoall({at(1000, 12), at(10000, 30), at(100000, 210)}, 3);
  CHECK(f.fixed_us == Approx(10.0));
  CHECK(f.per_byte_us == Approx(0.001));
}

TEST_CASE("a fit that wants a negative fixed cost goes through the origin, weighted by 1/t^2") {
  // Unconstrained: slope 0.002, intercept -1. Through the origin with w = 1/t^2:
  // b = sum(w x t) / sum(w x^2) = (1000 + 2000 * 3 / 9) / (1e6 + 4e6 / 9) = 45000 / 39e6.
  const auto f = fit_alltoall({at(1000, 1.0), at(2000, 3.0)}, 2);
  CHECK(f.fixed_us == 0.0);
  CHECK(f.per_byte_us == Approx(45000.0 / 39e6));
  // Falling times (noise): the largest message's own rate, no fixed cost.
  const auto g = fit_alltoall({at(1000, 5.0), at(2000, 4.0)}, 2);
  CHECK(g.fixed_us == 0.0);
  CHECK(g.per_byte_us == Approx(4.0 / 2000.0));
  CHECK_THROWS_AS(fit_alltoall({}, 2), std::invalid_argument);
}

TEST_CASE("the cluster file turns the fit into link latency (half the fixed cost) and bandwidth") {
  const auto r = synthetic_result();
  const auto cluster = cluster_json(r, "testhost-cluster-2", "testhost");
  CHECK(cluster["topology"]["link_latency_us"].get<double>() == Approx(10.0));
  CHECK(cluster["topology"]["link_bandwidth_GBps"].get<double>() == Approx(2.0));
  // Both files read back through the config parsers.
  auto device_file = device_json(r, "testhost");
  CHECK(device_file["type"] == "device");
  device_file.erase("type");  // the catalog reads it; parse_device takes the device object
  const auto device = config::parse_device(device_file, "testhost.json");
  CHECK(device.peak_fp32.value() == Approx(100e9));                 // the best median rate
  REQUIRE(device.gemm_efficiency_table.size() == 2);
  CHECK(device.gemm_efficiency_table[0].efficiency == Approx(0.5));  // 50 / 100
  CHECK(device.gemm_tile == kCpuGemmTile);
  const auto parsed = config::parse_cluster(cluster, "testhost-cluster-2.json",
                                            [](const std::string&) -> config::DeviceConfig { throw std::logic_error("inline"); });
  CHECK(parsed.devices == 2);
}

TEST_CASE("a calibration with grid axes writes gemm_grid, which the kernel model interpolates on") {
  auto r = synthetic_result();  // shapes (64, 64, 64) at 50 GFLOP/s and (256, 256, 256) at 100
  CHECK_FALSE(device_json(r, "testhost").contains("gemm_grid"));
  r.gemm = {};
  for (std::int64_t m : {64, 256})
    for (std::int64_t n : {64, 256})
      for (std::int64_t k : {64, 256}) r.gemm.push_back({m, n, k, {m == 256 ? 100.0 : 50.0, 40, 110, 50}});
  r.grid_m = r.grid_n = r.grid_k = {64, 256};
  auto file = device_json(r, "testhost");
  CHECK(file["gemm_grid"]["m"] == nlohmann::json{64, 256});
  CHECK(file["sources"].contains("gemm_grid"));
  file.erase("type");
  const auto device = config::parse_device(file, "testhost.json");
  REQUIRE(device.gemm_grid.has_value());
  // m = 128 is halfway in log between 64 (efficiency 0.5) and 256 (1.0): 0.75.
  const compute::KernelModel kernels(device);
  CHECK(kernels.gemm_efficiency({128, 100, 200, 1, DType::fp32}) == Approx(0.75));
}

TEST_CASE("a calibration with operand-streaming samples writes the curve from its own working set at 0 ns/byte") {
  auto r = synthetic_result();
  CHECK_FALSE(device_json(r, "testhost").contains("gemm_operand_streaming"));
  r.gemm_working_set_bytes = 4 << 20;
  r.operand_streaming = {{16 << 20, {0.03, 0.01, 0.05, 0.03}}, {64 << 20, {-0.002, -0.01, 0.01, 0.0}}};
  auto file = device_json(r, "testhost");
  CHECK(file["sources"].contains("gemm_operand_streaming"));
  file.erase("type");
  const auto device = config::parse_device(file, "testhost.json");
  REQUIRE(device.gemm_operand_streaming.size() == 3);
  CHECK(device.gemm_operand_streaming[0].working_set == Bytes(4 << 20));
  CHECK(device.gemm_operand_streaming[0].extra_ns_per_byte == 0.0);
  CHECK(device.gemm_operand_streaming[1].extra_ns_per_byte == Approx(0.03));  // the median
  CHECK(device.gemm_operand_streaming[2].extra_ns_per_byte == 0.0);           // a negative median is noise
}

TEST_CASE("a row-tail probe's remainders cost their time over the whole passes' per element of B; the file holds medians") {
  // 4 rows in 10 us, 5 in 12, 6 in 13, 7 in 18, B of 1000 elements: (12 - 10) us / 1000 = 2 ns, 3 ns, 8 ns.
  const auto ns = remainder_ns_per_b_element({10e-6, 12e-6, 13e-6, 18e-6}, 1000);
  REQUIRE(ns.size() == 3);
  CHECK(ns[0] == Approx(2.0));
  CHECK(ns[1] == Approx(3.0));
  CHECK(ns[2] == Approx(8.0));
  CHECK(remainder_ns_per_b_element({10e-6, 9e-6}, 1000)[0] == Approx(-1.0));  // noise stays visible here
  CHECK_THROWS_AS(remainder_ns_per_b_element({10e-6}, 1000), std::invalid_argument);
  auto r = synthetic_result();
  CHECK_FALSE(device_json(r, "testhost").contains("gemm_row_tail"));
  r.row_tail = RowTailSample{4, 256, 256, {{0.11, 0.1, 0.12, 0.11}, {0.12, 0.1, 0.13, 0.12}, {-0.01, -0.02, 0.2, 0.05}},
                             {{0.14, 0.1, 0.2, 0.14}, {0.13, 0.1, 0.2, 0.13}, {0.27, 0.2, 0.3, 0.27}}};
  auto file = device_json(r, "testhost");
  CHECK_THAT(file["sources"]["gemm_row_tail"].get<std::string>(), Catch::Contains("4 + r rows x 256 x 256"));
  file.erase("type");
  const auto device = config::parse_device(file, "testhost.json");
  REQUIRE(device.gemm_row_tail.has_value());
  CHECK(device.gemm_row_tail->panel_rows == 4);
  CHECK(device.gemm_row_tail->ns_per_b_element == std::vector<double>{0.11, 0.12, 0.0});  // a negative median is noise
  CHECK(device.gemm_row_tail->ns_per_b_element_transposed_b == std::vector<double>{0.14, 0.13, 0.27});
}

TEST_CASE("a calibration with routing samples writes their medians as router_ns_per_logit, which the model reads") {
  auto r = synthetic_result();
  CHECK_FALSE(device_json(r, "testhost").contains("router_ns_per_logit"));
  r.routing_tokens = 1024;
  r.routing = {{2, 1, {1.5, 1.0, 2.0, 1.5}, {3.0, 2.0, 4.0, 3.0}}, {32, 1, {4.5, 4.0, 5.0, 4.5}, {1.0, 0.5, 1.5, 1.0}}};
  auto file = device_json(r, "testhost");
  CHECK(file["router_ns_per_logit"][1]["ns_per_logit"].get<double>() == 4.5);
  CHECK(file["router_ns_per_logit"][0]["backward_ns_per_logit"].get<double>() == 3.0);
  CHECK_THAT(file["sources"]["router_ns_per_logit"].get<std::string>(), Catch::Contains("1024 tokens"));
  file.erase("type");
  const compute::KernelModel kernels(config::parse_device(file, "testhost.json"));
  // 8 experts: halfway in ln between 2 and 32 -> 3 ns per logit; 100 tokens x 8 = 800 logits.
  CHECK(static_cast<double>(kernels.routing_time(100, 8, 1).count()) == Approx(2400e3));
  // Backward: halfway between 3 and 1 -> 2 ns per logit.
  CHECK(static_cast<double>(kernels.routing_backward_time(100, 8, 1).count()) == Approx(1600e3));
}

TEST_CASE("an operand-streaming probe's extra is per byte of all three operands, not of the weight alone") {
  // 8 x 256 x 256: A 2,048 + B 65,536 + C 2,048 floats = 278,528 bytes; 1 us extra -> 1000/278528 ns.
  CHECK(streaming_ns_per_operand_byte({8, 256, 256}, 1e-6) == Approx(1000.0 / 278528.0));
  // 64 x 256 x 256: A and C add half of B again (98,304 floats): the same extra per call reads
  // 2/3 of what per byte of B gave (the 64-row probe's 1.5x over-reading before 2026-12-04).
  CHECK(streaming_ns_per_operand_byte({64, 256, 256}, 1e-6) == Approx(1000.0 / (98304.0 * 4)));
  CHECK(streaming_ns_per_operand_byte({64, 256, 256}, 1e-6) == Approx(2.0 / 3.0 * 1000.0 / (65536.0 * 4)));
  CHECK(streaming_ns_per_operand_byte({64, 256, 256}, 0.0) == 0.0);
}

TEST_CASE("a streaming sample runs passes until they fill its window, so a stall weighs by its share of the time") {
  // Passes of 1 MB taking 100 us each: a 1 ms window holds 10 of them -> 10 MB / 1 ms = 10 GB/s.
  int calls = 0;
  auto steady = [&] {
    ++calls;
    return 100e-6;
  };
  CHECK(windowed_giga_rate(steady, 1e6, 1e-3) == Approx(10.0));
  CHECK(calls == 10);
  // The same passes with one stalled pass of 500 us among them: 100 + 500 + 4 x 100 = 1 ms after
  // 6 passes -> 6 MB / 1 ms = 6 GB/s. A sample of the stalled pass alone would read 2 GB/s and
  // one of any other pass 10 GB/s: the median of single passes jumps between the two.
  int pass = 0;
  auto one_stall = [&] { return ++pass == 2 ? 500e-6 : 100e-6; };
  CHECK(windowed_giga_rate(one_stall, 1e6, 1e-3) == Approx(6.0));
  CHECK(pass == 6);
  // A pass longer than the window is a sample of its own: 1 MB in 2 ms -> 0.5 GB/s.
  CHECK(windowed_giga_rate([] { return 2e-3; }, 1e6, 1e-3) == Approx(0.5));
  // Passes the clock cannot see: refused instead of looping for ever.
  CHECK_THROWS_AS(windowed_giga_rate([] { return 0.0; }, 1e6, 1e-3), std::invalid_argument);
}

TEST_CASE("the GEMM samples' pools hold the largest shape's copies, however many shapes a plan has") {
  const auto grid = default_plan(false);
  const auto pool = gemm_pool_floats(grid.gemm);
  // Every shape's copies fit, each from the start of the pools.
  for (const auto& g : grid.gemm) {
    CHECK(gemm_operand_copies(g) * static_cast<std::size_t>(g.m * g.k + g.k * g.n) <= pool.operands);
    CHECK(gemm_operand_copies(g) * static_cast<std::size_t>(g.m * g.n) <= pool.outputs);
  }
  // The largest grid shape, 4096 x 2048 x 2048, is one copy of 4096*2048 + 2048*2048 floats for
  // A and B (over the 4 MiB working set alone) and 4096*2048 for C.
  CHECK(gemm_operand_copies({4096, 2048, 2048}) == 1);
  CHECK(pool.operands == std::size_t{4096 * 2048 + 2048 * 2048});
  CHECK(pool.outputs == std::size_t{4096 * 2048});
  // An oracle's thousand extra shapes, none larger than the grid's, leave the pools as they are
  // (one buffer per shape made them grow with every shape).
  auto oracle = grid;
  std::vector<GemmDims> extra;
  for (std::int64_t i = 1; i <= 1000; ++i) extra.push_back({1 + i % 300, 96 + i % 7, 384 + i % 11});
  add_gemm_shapes(oracle, extra);
  REQUIRE(oracle.gemm.size() > grid.gemm.size() + 900);
  CHECK(gemm_pool_floats(oracle.gemm).operands == pool.operands);
  CHECK(gemm_pool_floats(oracle.gemm).outputs == pool.outputs);
}

TEST_CASE("a calibration plan takes a prediction's shapes and sizes once each, keeping its order") {
  auto plan = default_plan(/*quick=*/true);
  const auto base = plan.gemm.size();
  // m in {16, 128} x n, k in {4, 64}, B as stored and transposed, then the row-tail probe: 4..7 rows
  // x 64 x 64, both orientations.
  CHECK(base == 24);
  CHECK(plan.gemm[16] == GemmDims{4, 64, 64});
  CHECK(plan.gemm[23] == GemmDims{7, 64, 64, true});
  const auto where = add_gemm_shapes(plan, {{16, 4, 4}, {7, 5, 3}, {7, 5, 3}});
  CHECK(where == std::vector<std::size_t>{0, base, base});  // the base's own first shape, then the new one twice
  REQUIRE(plan.gemm.size() == base + 1);
  CHECK(plan.gemm.back() == GemmDims{7, 5, 3});
  add_alltoall_sizes(plan, {300, 16 << 10, 100});
  CHECK(plan.alltoall_bytes == std::vector<std::int64_t>{100, 300, 16 << 10, 256 << 10});
  CHECK_THROWS_AS(add_gemm_shapes(plan, {{0, 1, 1}}), std::invalid_argument);
  CHECK_THROWS_AS(add_alltoall_sizes(plan, {0}), std::invalid_argument);
  CHECK_FALSE(plan.gemm[8] == plan.gemm[0]);  // the transposed half starts with the same (m, n, k)
  CHECK(plan.gemm[8] == GemmDims{16, 4, 4, true});
  // The fixed grid: m in {1, 2, 3, 4, 8, 64, 512, 4096} x n in {4, 32, 256, 2048} x k in {1, 4,
  // 32, 288, 2048}, whatever is predicted later: 8 x 4 x 5 = 160 shapes, from one row to 4096,
  // then the same 160 with B transposed; then the row-tail probe's 5, 6 and 7 rows x 256 x 288
  // (its 4 rows are a grid point), B as stored, then transposed.
  const auto full = default_plan(false);
  CHECK(full.gemm.size() == 326);
  CHECK(full.gemm.front() == GemmDims{1, 4, 1});
  CHECK(full.gemm[20] == GemmDims{2, 4, 1});
  CHECK(full.gemm[159] == GemmDims{4096, 2048, 2048});
  CHECK(full.gemm[160] == GemmDims{1, 4, 1, true});
  CHECK(full.grid_m == std::vector<std::int64_t>{1, 2, 3, 4, 8, 64, 512, 4096});
  CHECK(full.gemm[319] == GemmDims{4096, 2048, 2048, true});
  CHECK(full.gemm[320] == GemmDims{5, 256, 288});
  CHECK(full.gemm.back() == GemmDims{7, 256, 288, true});
  CHECK(full.row_tail_panel == 4);
  CHECK(full.grid_n == std::vector<std::int64_t>{4, 32, 256, 2048});
  CHECK(full.grid_k == std::vector<std::int64_t>{1, 4, 32, 288, 2048});
  CHECK(full.alltoall_bytes.size() >= 5);
}

TEST_CASE("layers measured in interleaved rounds give each layer one sample per timed round") {
  mpi::ensure_mpi_initialized();
  ref::LayerSpec a;
  a.ranks = 1;
  a.experts = 2;
  a.tokens_per_rank = 16;
  a.d_model = 8;
  a.d_ff = 16;
  a.min_capacity = 0;
  auto b = a;
  b.experts = 4;
  b.capacity_factor = 0.5;
  LayerBench bench({a, b}, MPI_COMM_SELF);
  bench.run_round(false);
  for (int i = 0; i < 3; ++i) bench.run_round(true);
  const auto results = bench.results();
  REQUIRE(results.size() == 2);
  CHECK(results[0].measurement.step.repeats == 3);
  CHECK(results[1].measurement.capacity == 2);  // ceil(0.5 x 16 / 4)
  // The same routing as a layer measured alone (inputs depend on the seed, not the schedule).
  const auto alone = run_layer(b, ref::cpu::RunOptions{0, 1}, MPI_COMM_SELF);
  CHECK(results[1].dropped_assignments == alone.dropped_assignments);
  CHECK(results[1].expert_tokens == alone.expert_tokens);
  // A layer never timed has no result.
  LayerBench partial({a, b}, MPI_COMM_SELF);
  partial.run_one(0, true);
  CHECK_THROWS_AS(partial.results(), std::logic_error);
}
