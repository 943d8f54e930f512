#include <catch2/catch.hpp>

#include <cmath>

#include "compute/kernel_model.hpp"
#include "config/catalog.hpp"

using namespace switchsim;

namespace {
// A made-up device with round numbers so that times can be computed by hand.
config::DeviceConfig round_device() {
  config::DeviceConfig d;
  d.name = "round";
  d.kind = "gpu";
  d.compute_units = 10;
  d.peak_bf16 = FlopsPerSecond::tera(100);
  d.peak_fp32 = FlopsPerSecond::tera(25);
  d.peak_tf32 = d.peak_fp32;
  d.memory = Bytes(1LL << 36);
  d.memory_bandwidth = BytesPerSecond(1e12);
  d.gemm_efficiency = 0.5;
  d.memory_efficiency = 1.0;
  d.gemm_tile = 128;
  d.kernel_overhead = Picoseconds(1'000'000);
  return d;
}
}  // namespace

TEST_CASE("a GEMM that fills every unit in one wave runs at the base efficiency") {
  const compute::KernelModel k(round_device());
  const compute::GemmShape g{1280, 128, 1024, 1, DType::bf16};  // 10 x 1 tiles on 10 units
  CHECK(k.gemm_efficiency(g) == Approx(0.5));
  // 2*1280*128*1024 = 335,544,320 FLOP at 50 TFLOP/s = 6,710,886.4 ps -> 6,710,887 + 1 us overhead.
  CHECK(k.gemm_time(g).count() == 6'710'887 + 1'000'000);
}

TEST_CASE("one tile too many costs a whole extra wave") {
  const compute::KernelModel k(round_device());
  // 11 tiles on 10 units: 2 waves, 11 of 20 slots busy.
  CHECK(k.gemm_efficiency({1408, 128, 1024, 1, DType::bf16}) == Approx(0.5 * 11.0 / 20.0));
}

TEST_CASE("edge tiles that are partly empty lower the efficiency") {
  const compute::KernelModel k(round_device());
  // m = 1216 = 9.5 tiles -> 10 tiles, the last half empty: tile fill 1216/1280.
  CHECK(k.gemm_efficiency({1216, 128, 1024, 1, DType::bf16}) == Approx(0.5 * 1216.0 / 1280.0));
}

TEST_CASE("a single output tile with a long reduction is split over k to fill the device") {
  const compute::KernelModel k(round_device());
  // 1 output tile, k = 4096: split min(10 / 1, 4096 / 256) = 10 ways -> one full wave.
  CHECK(k.gemm_efficiency({128, 128, 4096, 1, DType::bf16}) == Approx(0.5));
  // k = 512 allows only 2 splits: 2 of 10 units busy.
  CHECK(k.gemm_efficiency({128, 128, 512, 1, DType::bf16}) == Approx(0.5 * 2.0 / 10.0));
}

TEST_CASE("a reduction shorter than a tile cannot fill the pipeline") {
  const compute::KernelModel k(round_device());
  CHECK(k.gemm_efficiency({1280, 128, 64, 1, DType::bf16}) == Approx(0.5 * 64.0 / 128.0));
}

TEST_CASE("on a device with far more FLOPs than bandwidth a GEMM is bound by its bytes") {
  auto device = round_device();
  device.peak_bf16 = FlopsPerSecond::tera(1e6);
  const compute::KernelModel k(device);
  // bytes = (1280*128 + 128*1280 + 1280*1280) * 2 = 3,932,160 B at 1 TB/s = 3,932,160 ps.
  CHECK(k.gemm_time({1280, 1280, 128, 1, DType::bf16}).count() == 3'932'160 + 1'000'000);
}

TEST_CASE("fp32 GEMMs use the fp32 peak: four times slower than bf16 on this device") {
  const compute::KernelModel k(round_device());
  const auto bf16 = k.gemm_time({1280, 128, 1024, 1, DType::bf16}) - k.overhead();
  const auto fp32 = k.gemm_time({1280, 128, 1024, 1, DType::fp32}) - k.overhead();
  CHECK(static_cast<double>(fp32.count()) / static_cast<double>(bf16.count()) == Approx(4.0).epsilon(1e-6));
}

TEST_CASE("a memory-bound kernel takes bytes over bandwidth plus the overhead") {
  const compute::KernelModel k(round_device());
  CHECK(k.memory_time(Bytes(1'000'000)).count() == 1'000'000 + 1'000'000);
}

TEST_CASE("a calibrated device takes the efficiency of the nearest calibrated shape in log space") {
  auto d = round_device();
  d.gemm_efficiency_table = {{64, 256, 256, 0.5, std::nullopt}, {1024, 1024, 1024, 0.9, std::nullopt}};
  const compute::KernelModel k(d);
  // (128, 256, 256): squared log distance ln(2)^2 = 0.48 to the first point,
  // ln(8)^2 + 2 ln(4)^2 = 4.32 + 3.84 = 8.16 to the second -> 0.5.
  CHECK(k.gemm_efficiency({128, 256, 256, 1, DType::fp32}) == Approx(0.5));
  // (512, 512, 1024): ln(8)^2 + ln(2)^2 + ln(4)^2 = 6.64 to the first, ln(2)^2 + ln(2)^2 = 0.96
  // to the second -> 0.9; wave and tile fill are not applied on top (2 tiles on 10 units).
  CHECK(k.gemm_efficiency({512, 512, 1024, 1, DType::fp32}) == Approx(0.9));
  // Time: 2*128*256*256 = 16,777,216 FLOPs per call, 3 calls, at 25 TFLOP/s * 0.5 = 4.0265 us,
  // above the 3 * 131,072 * 4 B = 1.57 us of memory, plus 1 us overhead.
  CHECK(k.gemm_time({128, 256, 256, 3, DType::fp32}).count() == Approx(4'026'532 + 1'000'000).epsilon(1e-6));
}

TEST_CASE("table entries of zero efficiency are skipped rather than dividing by zero") {
  auto d = round_device();
  d.gemm_efficiency_table = {{128, 256, 256, 0.0, std::nullopt}, {1024, 1024, 1024, 0.8, std::nullopt}};
  const compute::KernelModel k(d);
  CHECK(k.gemm_efficiency({128, 256, 256, 1, DType::fp32}) == Approx(0.8));
}

TEST_CASE("a kernel model's observer is told every GEMM shape it is asked the time of, in order") {
  std::vector<compute::GemmShape> seen;
  const compute::KernelModel k(round_device(), [&seen](const compute::GemmShape& g) { seen.push_back(g); });
  (void)k.gemm_time({1280, 128, 1024, 1, DType::bf16});
  (void)k.gemm_time({64, 32, 16, 4, DType::fp32});
  (void)k.memory_time(Bytes(1024));  // not a GEMM
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].m == 1280);
  CHECK(seen[1].n == 32);
  CHECK(seen[1].k == 16);
  CHECK(seen[1].batch == 4);
  // The observer does not change the answer.
  const compute::KernelModel plain(round_device());
  CHECK(k.gemm_time({64, 32, 16, 4, DType::fp32}) == plain.gemm_time({64, 32, 16, 4, DType::fp32}));
}

namespace {
// A 2 x 2 x 2 grid m in {64, 512}, n in {4, 256}, k in {32, 2048} whose efficiency is
// 0.1 + 0.4 [m = 512] + 0.2 [n = 256] + 0.1 [k = 2048], plus one off-grid point (an oracle's shape).
config::DeviceConfig grid_device() {
  auto d = round_device();
  for (std::int64_t m : {64, 512})
    for (std::int64_t n : {4, 256})
      for (std::int64_t k : {32, 2048})
        d.gemm_efficiency_table.push_back(
            {m, n, k, 0.1 + (m == 512 ? 0.4 : 0.0) + (n == 256 ? 0.2 : 0.0) + (k == 2048 ? 0.1 : 0.0), std::nullopt});
  d.gemm_efficiency_table.push_back({100, 100, 100, 0.33, std::nullopt});
  d.gemm_grid = config::GemmGrid{{64, 512}, {4, 256}, {32, 2048}};
  return d;
}
}  // namespace

TEST_CASE("on a calibrated grid, a shape between the points gets the efficiency interpolated in log m, log n, log k") {
  const compute::KernelModel k(grid_device());
  // m = 128: t = ln(128/64) / ln(512/64) = 1/3; n = 32: ln 8 / ln 64 = 1/2; k = 256: ln 8 / ln 64 = 1/2.
  // The efficiency is additive over the axes here, so trilinear gives 0.1 + 0.4/3 + 0.2/2 + 0.1/2.
  CHECK(k.gemm_efficiency({128, 32, 256, 1, DType::fp32}) == Approx(0.1 + 0.4 / 3 + 0.1 + 0.05));
  // A grid point itself, and the batch count changes nothing.
  CHECK(k.gemm_efficiency({512, 4, 2048, 7, DType::fp32}) == Approx(0.6));
  // Outside the grid the edge value holds: m = 8 is m = 64, m = 9999 is m = 512; n = 1 is n = 4.
  CHECK(k.gemm_efficiency({8, 256, 32, 1, DType::fp32}) == Approx(0.3));
  CHECK(k.gemm_efficiency({9999, 1, 32, 1, DType::fp32}) == Approx(0.5));
  // The off-grid table point is used only for exactly its shape (validate --oracle's shapes);
  // its neighbours are interpolated on the grid: m = n = k = 101 -> t_m = ln(101/64)/ln 8, ...
  CHECK(k.gemm_efficiency({100, 100, 100, 1, DType::fp32}) == Approx(0.33));
  const double tm = std::log(101.0 / 64) / std::log(8.0), tn = std::log(101.0 / 4) / std::log(64.0),
               tk = std::log(101.0 / 32) / std::log(64.0);
  CHECK(k.gemm_efficiency({101, 101, 101, 1, DType::fp32}) == Approx(0.1 + 0.4 * tm + 0.2 * tn + 0.1 * tk));
}

TEST_CASE("a non-additive grid cell is interpolated trilinearly: the centre of a cell is the mean of its corners") {
  auto d = round_device();
  // Corners of one cell m in {16, 64}, n in {16, 64}, k in {16, 64}: efficiency 0.8 at (64, 64, 64), 0.1 elsewhere.
  for (std::int64_t m : {16, 64})
    for (std::int64_t n : {16, 64})
      for (std::int64_t k : {16, 64}) d.gemm_efficiency_table.push_back({m, n, k, m == 64 && n == 64 && k == 64 ? 0.8 : 0.1, std::nullopt});
  d.gemm_grid = config::GemmGrid{{16, 64}, {16, 64}, {16, 64}};
  const compute::KernelModel model(d);
  // (32, 32, 32) is the log-centre: every corner weighs 1/8 -> (7 * 0.1 + 0.8) / 8.
  CHECK(model.gemm_efficiency({32, 32, 32, 1, DType::fp32}) == Approx((7 * 0.1 + 0.8) / 8));
  // (64, 64, 32): halfway on k only -> (0.8 + 0.1) / 2.
  CHECK(model.gemm_efficiency({64, 64, 32, 1, DType::fp32}) == Approx(0.45));
}

TEST_CASE("on an axis of four grid points the efficiency is PCHIP in ln m: above the chord where the data is concave, flat where it is flat") {
  // m in {1, 8, 64, 512}: equal steps h = ln 8; n and k are one point each (constant).
  auto device_with = [](std::vector<double> efficiency) {
    auto d = round_device();
    const std::vector<std::int64_t> ms{1, 8, 64, 512};
    for (std::size_t i = 0; i < ms.size(); ++i) d.gemm_efficiency_table.push_back({ms[i], 32, 32, efficiency[i], std::nullopt});
    d.gemm_grid = config::GemmGrid{ms, {32}, {32}};
    return d;
  };
  // Concave data 0.1, 0.4, 0.6, 0.7: secants 0.3/h, 0.2/h, 0.1/h. Equal steps make the interior
  // slopes the harmonic means of the neighbouring secants: 2*0.3*0.2/0.5 = 0.24/h at m = 8 and
  // 2*0.2*0.1/0.3 = 0.4/3/h at m = 64. m = 16 is t = ln 2 / ln 8 = 1/3 of the way from 8 to 64,
  // where the cubic Hermite basis is h00 = 20/27, h10 = 4/27, h01 = 7/27, h11 = -2/27:
  // (20*0.4 + 4*0.24 + 7*0.6 - 2*0.4/3) / 27 = 0.47753, above the chord's 0.4 + 0.2/3 = 0.46667.
  const compute::KernelModel concave(device_with({0.1, 0.4, 0.6, 0.7}));
  CHECK(concave.gemm_efficiency({16, 32, 32, 1, DType::fp32}) == Approx((20 * 0.4 + 4 * 0.24 + 7 * 0.6 - 2 * 0.4 / 3) / 27));
  CHECK(concave.gemm_efficiency({64, 32, 32, 1, DType::fp32}) == Approx(0.6));  // a grid point
  CHECK(concave.gemm_efficiency({4096, 32, 32, 1, DType::fp32}) == Approx(0.7));  // beyond: the edge
  // A flat stretch 0.5, 0.5 between rising ones: both its end slopes are 0 (a secant is 0), so
  // the curve stays at 0.5 inside it -- no overshoot, which a spline through the points would make.
  const compute::KernelModel flat(device_with({0.1, 0.5, 0.5, 0.9}));
  CHECK(flat.gemm_efficiency({16, 32, 32, 1, DType::fp32}) == Approx(0.5));
  CHECK(flat.gemm_efficiency({40, 32, 32, 1, DType::fp32}) == Approx(0.5));
  // Between 1 and 8: the end slope is the secant 0.4/h, the interior one 0 -> at t = 1/3 (m = 2):
  // h00*0.1 + h10*0.4 + h01*0.5 = (20*0.1 + 4*0.4 + 7*0.5) / 27, inside [0.1, 0.5].
  CHECK(flat.gemm_efficiency({2, 32, 32, 1, DType::fp32}) == Approx((20 * 0.1 + 4 * 0.4 + 7 * 0.5) / 27));
}

TEST_CASE("rows past whole kernel passes add the measured ns per element of B to the time of the passes below them") {
  // Grid m in {4, 8} x n = k = 64 (both orientations): efficiency 0.2 at 4 rows, 0.4 at 8; fp32 peak
  // 25 TFLOP/s. Passes of 4 rows; a remainder of 1, 2, 3 rows costs 0.001, 0.002, 0.003 ns per element
  // of B (B^T: ten times that).
  auto d = round_device();
  for (const bool transposed : {false, true})
    for (const auto& [m, e] : {std::pair<std::int64_t, double>{4, 0.2}, {8, 0.4}})
      d.gemm_efficiency_table.push_back({m, 64, 64, e, std::nullopt, transposed});
  d.gemm_grid = config::GemmGrid{{4, 8}, {64}, {64}};
  d.gemm_row_tail = config::GemmRowTail{4, {0.001, 0.002, 0.003}, {0.01, 0.02, 0.03}};
  const compute::KernelModel model(d);
  // 6 rows = one pass of 4 (2*4*64*64 FLOP at 0.2 * 25e12: 6.5536 ns) + 2 rows (64*64*0.002 ns =
  // 8.192 ns): 2*6*64*64 FLOP in 14.7456 ns at 25e12 FLOP/s = 2/15 of peak.
  CHECK(model.gemm_efficiency({6, 64, 64, 1, DType::fp32}) == Approx(2.0 / 15));
  CHECK(model.gemm_efficiency({6, 64, 64, 3, DType::fp32}) == Approx(2.0 / 15));  // a batch: each GEMM alike
  // 7 rows: 6.5536 + 12.288 ns -> 2*7*4096 / (25e12 * 18.8416e-9) = 14/115.
  CHECK(model.gemm_efficiency({7, 64, 64, 1, DType::fp32}) == Approx(14.0 / 115));
  // 9 rows: two passes (2*8*4096 FLOP at 0.4: 6.5536 ns) + 1 row (4.096 ns) -> 18/65.
  CHECK(model.gemm_efficiency({9, 64, 64, 1, DType::fp32}) == Approx(18.0 / 65));
  // B^T: 6.5536 + 81.92 ns -> 1/45.
  CHECK(model.gemm_efficiency({6, 64, 64, 1, DType::fp32, true}) == Approx(1.0 / 45));
  // Whole passes and rows below one pass keep the grid's value (8: a point; 12: beyond, the edge;
  // 3: below, the edge).
  CHECK(model.gemm_efficiency({8, 64, 64, 1, DType::fp32}) == Approx(0.4));
  CHECK(model.gemm_efficiency({12, 64, 64, 1, DType::fp32}) == Approx(0.4));
  CHECK(model.gemm_efficiency({3, 64, 64, 1, DType::fp32}) == Approx(0.2));
  // A measured point of the very shape wins (validate --oracle).
  d.gemm_efficiency_table.push_back({7, 64, 64, 0.5, std::nullopt});
  CHECK(compute::KernelModel(d).gemm_efficiency({7, 64, 64, 1, DType::fp32}) == Approx(0.5));
  // Without transposed costs B^T pays B's.
  d.gemm_row_tail->ns_per_b_element_transposed_b.clear();
  CHECK(compute::KernelModel(d).gemm_efficiency({6, 64, 64, 1, DType::fp32, true}) == Approx(2.0 / 15));
}

TEST_CASE("on the committed CPU profile the GEMM time is a sawtooth in the rows: a ragged count costs more than the next whole pass") {
  // Standalone on this VM (OpenBLAS sgemm, 384 x 320, B as stored): 11 rows took 59.7 us, 12 rows
  // 35.9 us; 35 rows 112.5 us, 36 rows 88.4 us (traces/measured/README.md). The committed held-out
  // profile's row tail and grid must say the same (its own numbers, not these).
  const config::Catalog catalog(SWITCHSIM_SOURCE_DIR);
  const compute::KernelModel model(catalog.device(std::string(SWITCHSIM_SOURCE_DIR) + "/traces/measured/held-out-host.json"));
  REQUIRE(model.device().gemm_row_tail.has_value());
  auto time_of = [&](std::int64_t rows, bool transposed) {
    return model.gemm_time({rows, 384, 320, 1, DType::fp32, transposed}).count();
  };
  for (const bool transposed : {false, true}) {
    CHECK(time_of(11, transposed) > time_of(12, transposed));
    CHECK(time_of(35, transposed) > time_of(36, transposed));
    CHECK(time_of(9, transposed) > time_of(8, transposed));
    CHECK(time_of(8, transposed) > time_of(4, transposed));  // whole passes: more rows, more time
  }
}

TEST_CASE("a weight's trip beyond the cache costs the measured ns per byte, interpolated in log working set") {
  config::DeviceConfig d = round_device();
  const compute::KernelModel plain(d);
  CHECK(plain.weight_streaming_time(Bytes(1000000), Bytes(1LL << 30)) == Picoseconds(0));  // no curve
  // 4 MiB: 0 (the calibration's own set), 16 MiB: 0.4 ns/B, 64 MiB: 0.2 ns/B.
  d.gemm_operand_streaming = {{Bytes(4LL << 20), 0.0}, {Bytes(16LL << 20), 0.4}, {Bytes(64LL << 20), 0.2}};
  const compute::KernelModel k(d);
  const Bytes weight(1000000);
  auto us = [&](std::int64_t working_set) {
    return static_cast<double>(k.weight_streaming_time(weight, Bytes(working_set)).count()) / 1e6;
  };
  CHECK(us(2LL << 20) == 0.0);  // below: the first point's 0
  // 8 MiB is halfway in log between 4 and 16 MiB: 0.2 ns/B, 200 us for 1e6 B.
  CHECK(us(8LL << 20) == Approx(200.0));
  // 32 MiB: halfway between 0.4 and 0.2: 0.3 ns/B.
  CHECK(us(32LL << 20) == Approx(300.0));
  CHECK(us(16LL << 20) == Approx(400.0));  // on a point
  CHECK(us(1LL << 34) == Approx(200.0));   // beyond: the last
}

TEST_CASE("routing costs tokens x experts x the measured ns per logit, interpolated in ln experts within its top-k") {
  config::DeviceConfig d = round_device();
  CHECK(compute::KernelModel(d).routing_time(1000, 8, 1) == Picoseconds(0));  // no curve
  // top-1: 2 experts 2 ns, 32 experts 6 ns; top-2: 2 experts 4 ns, 32 experts 10 ns.
  d.router_ns_per_logit = {{2, 1, 2.0, 1.0}, {32, 1, 6.0, 3.0}, {2, 2, 4.0, 1.0}, {32, 2, 10.0, 3.0}};
  const compute::KernelModel k(d);
  auto us = [&](std::int64_t tokens, std::int64_t experts, std::int64_t top_k) {
    return static_cast<double>(k.routing_time(tokens, experts, top_k).count()) / 1e6;
  };
  // 8 experts are halfway in ln between 2 and 32 (ln 4 / ln 16): 4 ns top-1, 7 ns top-2;
  // 1000 tokens x 8 experts = 8000 logits.
  CHECK(us(1000, 8, 1) == Approx(32.0));
  CHECK(us(1000, 8, 2) == Approx(56.0));
  CHECK(us(1000, 32, 1) == Approx(1000 * 32 * 6.0 / 1000));  // a point
  CHECK(us(1000, 128, 1) == Approx(1000 * 128 * 6.0 / 1000));  // beyond: the edge value
  CHECK(us(1000, 1, 1) == Approx(1000 * 1 * 2.0 / 1000));      // below: the edge value
  // top-4 was not measured: the largest measured top-k below it (2) stands for it.
  CHECK(us(1000, 8, 4) == Approx(56.0));
  // The backward curve the same way: 8 experts halfway between 1 and 3 ns -> 2 ns, 16 us.
  CHECK(static_cast<double>(k.routing_backward_time(1000, 8, 1).count()) / 1e6 == Approx(16.0));
  // Only top-2 measured: top-1 takes the smallest measured (top-2) points.
  d.router_ns_per_logit = {{2, 2, 4.0, 1.0}, {32, 2, 10.0, 3.0}};
  CHECK(compute::KernelModel(d).routing_time(1000, 8, 1) == k.routing_time(1000, 8, 2));
}

TEST_CASE("a GEMM with B transposed takes the table's transposed points, or B's when there are none") {
  auto d = round_device();
  // One grid cell on m in {1, 16} (n = 768, k = 96), measured both ways.
  d.gemm_efficiency_table = {{1, 768, 96, 0.1, std::nullopt}, {16, 768, 96, 0.5, std::nullopt}};
  d.gemm_grid = config::GemmGrid{{1, 16}, {768}, {96}};
  const compute::KernelModel plain_only(d);
  // No transposed point: B^T is priced as B, exactly and between the points
  // (m = 4: t = ln 4 / ln 16 = 1/2 -> 0.3).
  CHECK(plain_only.gemm_efficiency({16, 768, 96, 1, DType::fp32, true}) == 0.5);
  CHECK(plain_only.gemm_efficiency({4, 768, 96, 1, DType::fp32, true}) == Approx(0.3));
  d.gemm_efficiency_table.push_back({16, 768, 96, 0.4, std::nullopt, true});
  const compute::KernelModel one_transposed(d);
  // Its own exact point; the transposed grid is incomplete (no m = 1 point), so a shape between
  // the points is interpolated on B's grid; B's own shapes are untouched.
  CHECK(one_transposed.gemm_efficiency({16, 768, 96, 1, DType::fp32, true}) == 0.4);
  CHECK(one_transposed.gemm_efficiency({4, 768, 96, 1, DType::fp32, true}) == Approx(0.3));
  CHECK(one_transposed.gemm_efficiency({16, 768, 96, 1, DType::fp32}) == 0.5);
  d.gemm_efficiency_table.push_back({1, 768, 96, 0.05, std::nullopt, true});
  const compute::KernelModel both(d);
  // A complete transposed grid: m = 4 -> (0.05 + 0.4) / 2.
  CHECK(both.gemm_efficiency({4, 768, 96, 1, DType::fp32, true}) == Approx(0.225));
  CHECK(both.gemm_efficiency({4, 768, 96, 1, DType::fp32}) == Approx(0.3));
  // Times: at m = 16 this device is bound by bytes either way; at m = 1024 by FLOPs.
  d.gemm_efficiency_table = {{1024, 768, 96, 0.5, std::nullopt}, {1024, 768, 96, 0.25, std::nullopt, true}};
  d.gemm_grid.reset();
  const compute::KernelModel big(d);
  // 2 * 1024 * 768 * 96 = 150,994,944 FLOPs at 12.5 and 6.25 TFLOP/s: 12.0796 and 24.1592 us, both
  // above (1024*96 + 96*768 + 1024*768) * 4 B / 1 TB/s = 3.83 us; plus 1 us of overhead.
  CHECK(big.gemm_time({1024, 768, 96, 1, DType::fp32}).count() == Approx(12'079'596 + 1'000'000).epsilon(1e-6));
  CHECK(big.gemm_time({1024, 768, 96, 1, DType::fp32, true}).count() == Approx(24'159'191 + 1'000'000).epsilon(1e-6));
}
