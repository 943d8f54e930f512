#pragma once
// Time of one kernel on one device (shared/DESIGN.md, compute/):
//   GEMM          = max(FLOPs / (peak(dtype) * efficiency), bytes / memory bandwidth) + overhead
//   memory-bound  = bytes / (memory bandwidth * memory_efficiency) + overhead
// GEMM efficiency = base * tile fill * wave fill:
//   tiles = ceil(m/tile) * ceil(n/tile) * batch * splits, waves = ceil(tiles / compute_units),
//   splits (split-K) = 1 when the output tiles fill the device, else
//   min(compute_units / output tiles, k / (2 * tile)), at least 1,
//   wave fill = tiles / (waves * compute_units) (idle units in the last wave),
//   tile fill = m*n / (ceil(m/tile)*tile * ceil(n/tile)*tile) (padding inside edge tiles),
//   base = the device's gemm_efficiency, lowered for reductions shorter than one tile
//   (the pipeline cannot fill: base * k / tile).
// A calibrated device (non-empty gemm_efficiency_table, written by `switchsim calibrate`)
// replaces all of that with measured efficiencies; the batch count does not change them (a
// batch is `batch` calls of that shape, each at the table's rate):
//   1. a table point of exactly (m, n, k): its efficiency (how `validate --oracle` predicts);
//   2. else, with a gemm_grid (calibrate's fixed grid m_0 < m_1 < ..., n_j, k_l): the
//      efficiency interpolated in (ln m, ln n, ln k), one axis at a time: along k on every
//      (m_i, n_j) line of the grid, then along n on every m_i, then along m. On an axis of four
//      or more points the curve is PCHIP (Fritsch & Carlson 1980, "Monotone piecewise cubic
//      interpolation"; Boost.Math's pchip): a cubic between neighbouring points whose slope at
//      each interior point is the weighted harmonic mean of the two secants (zero where they
//      differ in sign or one is flat), the secant at the ends, so it never overshoots the data.
//      On an axis of two or three points it is linear: x between a <= x <= b gets weight
//      t = ln(x/a) / ln(b/a) on b and 1 - t on a (m = 128 between 64 and 512: t = 1/3).
//      Outside the grid the edge value holds (no extrapolation); an axis of one value is constant.
//      Why cubic: efficiency rises steeply at small m, n, k and flattens at large ones (concave
//      in ln m), so a straight line between points 8x apart under-rates every shape between them.
//      Measured on six oracle profiles of this project's VM (959 off-grid shapes each, B as
//      stored): linear interpolation gave 0.936-0.963 of each shape's measured efficiency at the
//      median, PCHIP 0.957-0.989, and the median |ln ratio| fell from 4.7-7.5% to 2.7-5.2%
//      (traces/measured/README.md).
//      Rows past whole kernel passes (devices with "gemm_row_tail", i.e. calibrated CPUs):
//      OpenBLAS's sgemm computes a row-major C[m, n] in passes of P = 4 rows, and a remainder
//      of r = m mod P rows through narrower code that takes a fixed time per element of B,
//      whatever the rows before it (measured here at 256 x 256: 1, 2, 3 more rows +7.4, +8.1,
//      +15.5 us after 4, 8, 16, 32, 48 or 60 rows alike; 9 rows take 1.4x the time of 8). The
//      efficiency rises smoothly only along whole passes, so for m > P with r > 0:
//        time(m) = time of the m - r rows (rule 2 at m - r) + n * k * ns_per_b_element[r - 1],
//      and the efficiency is the FLOPs over that. Below one pass (m < P) and at whole passes
//      rule 2 alone (the calibration grid holds m = 1, 2, 3, 4 and whole passes above).
//      Not modelled: with B as stored and under 64 rows, OpenBLAS ran k = 128, 256 and 512
//      about 20% slower than the k around them (a dip at single sizes; the calibration grid
//      steps around it at k = 288), so such shapes are predicted up to 20% fast here.
//      Nor the columns' passes: OpenBLAS's Haswell kernel runs our n (its M) in blocks of 16
//      and tails of 8, 4, 2 and 1, each pass re-reading A, so below 16 columns the time goes
//      with the passes, not with n (3072 x n x 192: n = 4 and 8 150 us, n = 2 123 us, n = 3
//      and 5 177 and 204 us, n = 7 266 us). Only the router has so few columns (n = experts);
//      at 2 experts, below the grid's n = 4, it is priced at n = 4's efficiency, 1.6 times
//      n = 2's measured rate (the held-out 2-expert routers are predicted about 45% fast, about
//      1% of their step).
//   3. else (a table without a grid): the NEAREST point in log space, minimizing
//      (ln m/m_i)^2 + (ln n/n_i)^2 + (ln k/k_i)^2 (the first such point on ties).
// B transposed (GemmShape::transposed_b: a backward dX GEMM dY W^T reads its weight as B^T):
// the table's transposed_b points stand for those shapes, by the same three rules over the
// transposed points (the grid's when every grid point has one); a table without them, and every
// analytic device, prices the shape as if B were not transposed. Why it matters: OpenBLAS sgemm
// on a few rows runs B^T measurably slower than B (on this project's VM, 16 x 768 x 96 by 19%,
// 1-8 rows by 30-49%, from 256 rows by at most 2%; traces/measured/README.md).
// Working set (devices with "gemm_operand_streaming", i.e. calibrated CPUs): the table's rates
// were measured with each GEMM's operands cycled through a cache-sized set of copies (ref/cpu
// calibrator), as a small layer's data lives; a layer whose weights, gradients and activations
// outgrow the cache reads each weight matrix from DRAM on every use, and a skinny GEMM then runs
// up to 1.5x slower. Measured here (OpenBLAS sgemm, n = 384, k = 320): 42 -> 62 us at m = 5 and
// 185 -> 205 us at m = 64 when the operands cycled 64 MB instead of 4 MB: an extra that is
// additive, not hidden behind compute. Per byte of what? On 256 x 256 probes at m = 8, 64, 256 and
// 1,024 the extra grew 2.8 -> 11 -> 26 -> 85 us: 0.010-0.044 ns per byte of all three operands
// (A, B and C cycled alike), 0.011-0.40 per byte of B. So `calibrate` divides the probe's extra by
// all its operand bytes (it used to divide by B's, which read the 64-row probe 1.5x high: the
// held-out oracle then over-predicted the expert FFN by 0.3 x this term, in 6 of 7 runs), and a
// layer's GEMM pays it on its weight matrix, the operand that cycles through the experts' working
// set between uses. Its rows' activations pay nothing extra: charging them too would raise the
// predictions the runs found high, and with the weights alone the expert-phase error no longer
// grows with the working set (traces/measured/README.md, session 17):
//   extra time = weight matrix bytes * extra_ns_per_byte(working set),
// extra_ns_per_byte interpolated linearly in ln(working set) between the measured points; the
// edge values hold outside them (the first point is the calibration's own set, 0 ns/byte).
// Routing (devices with "router_ns_per_logit", i.e. calibrated CPUs): the router's softmax and
// top-k selection run as scalar loops there, an exp and a few compares per logit, which cost
// several times their memory traffic (on this project's VM 4-5 ns per logit for the softmax of
// 64 experts, where its bytes take under 1 ns). So
//   routing time = tokens * experts * ns_per_logit(experts, top_k),
// ns_per_logit from the points of the largest measured top_k not above top_k (the smallest
// measured when all are above), interpolated linearly in ln experts between them, the edge
// values outside. The router charges max(its memory traffic, this) (model/phase_costs); its
// backward likewise with backward_ns_per_logit (the logits' gradient: a scatter of the gates'
// gradients, the load-balancing term and the softmax backward, per-token loops that dominate
// at few experts).

#include <cstdint>
#include <functional>
#include <vector>

#include "config/device_config.hpp"
#include "config/dtype.hpp"
#include "units/units.hpp"

namespace switchsim::compute {

struct GemmShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t batch = 1;  // independent GEMMs of the same shape (strided-batched)
  DType dtype = DType::bf16;
  bool transposed_b = false;  // C = A B^T, B stored [n, k]
  friend bool operator==(const GemmShape&, const GemmShape&) = default;
};

Flops gemm_flops(const GemmShape& g);
Bytes gemm_bytes(const GemmShape& g);

// Told of every GEMM shape a model asks the time of (calibration uses it to measure exactly
// the shapes a prediction needs).
using GemmObserver = std::function<void(const GemmShape&)>;

class KernelModel {
 public:
  explicit KernelModel(config::DeviceConfig device, GemmObserver observer = {});

  double gemm_efficiency(const GemmShape& g) const;
  // The table entry nearest to `g` in log space, or nullptr without a table (of g's orientation
  // when the table has points of it, else of the other).
  const config::GemmEfficiencyPoint* nearest_calibrated(const GemmShape& g) const;
  // The table entry of exactly g's (m, n, k) and orientation, or nullptr.
  const config::GemmEfficiencyPoint* exact_calibrated(const GemmShape& g) const;
  Picoseconds gemm_time(const GemmShape& g) const;
  // What a GEMM pays on top of gemm_time for its weight operand of `weight_bytes` (read, or
  // written as a weight gradient) when the program cycles through `working_set` bytes (see
  // above); zero on devices without a measured curve.
  Picoseconds weight_streaming_time(Bytes weight_bytes, Bytes working_set) const;
  // The router's softmax and top-k selection over tokens x experts logits (see above); zero on
  // devices without a measured curve.
  Picoseconds routing_time(std::int64_t tokens, std::int64_t experts, std::int64_t top_k) const;
  Picoseconds routing_backward_time(std::int64_t tokens, std::int64_t experts, std::int64_t top_k) const;
  // A kernel that streams `bytes` through memory (reads + writes).
  Picoseconds memory_time(Bytes bytes) const;
  // Several back-to-back kernels pay the overhead each time.
  Picoseconds overhead() const { return device_.kernel_overhead; }

  const config::DeviceConfig& device() const { return device_; }

 private:
  double interpolated_efficiency(const GemmShape& g, const std::vector<double>& grid_efficiency) const;
  double grid_efficiency(const GemmShape& g) const;  // rule 2, with the row tail where the device has one
  Picoseconds routing_cost(std::int64_t tokens, std::int64_t experts, std::int64_t top_k,
                           double config::RoutingCostPoint::*ns_per_logit) const;

  config::DeviceConfig device_;
  GemmObserver observer_;
  std::vector<double> grid_efficiency_;  // [i_m][i_n][i_k] of device_.gemm_grid, row-major
  std::vector<double> grid_efficiency_transposed_;  // the same for transposed_b; empty unless complete
  bool has_transposed_ = false;  // the table has transposed_b points
  std::vector<std::int64_t> streaming_working_sets_;  // the axis of device_.gemm_operand_streaming
};

}  // namespace switchsim::compute
