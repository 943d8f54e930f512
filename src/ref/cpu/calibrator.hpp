#pragma once
// The micro-benchmarks of a CPU calibration, run the way the layer meets the host: on every
// MPI rank at once (each rank's share of the cores), each GEMM sample's rate the slowest rank's.
// The quantities that drift with the machine's speed (sgemm, streaming, all-to-all) are sampled
// in ROUNDS, one sample of each per round, never one quantity for a stretch of time and then the
// next: on a shared VM whose speed wanders by tens of percent over seconds, a per-quantity
// stretch makes shape-to-shape differences out of time-to-time ones. `validate` interleaves
// these rounds with the measured layer's (ref::cpu::LayerBench), so both see the same machine.

#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ref/cpu/calibration.hpp"

namespace switchsim::ref::cpu {

struct CalibrationPlan {
  bool quick = false;
  std::vector<GemmDims> gemm;                // shapes timed each round, in this order
  std::vector<std::int64_t> grid_m, grid_n, grid_k;  // the fixed grid's axes (its shapes come first in gemm)
  double gemm_window_s = 0.025;              // one sample = back-to-back calls for this long
  std::int64_t stream_bytes = 4 << 20;       // per array of the copy/scale kernels
  // One streaming sample = back-to-back passes of a kernel for this long (a pass of 4 MiB arrays
  // takes about 120 us; calibrator.cpp says why one pass is not a sample).
  double stream_window_s = 0.005;
  // Probe GEMMs timed with their operands cycled through each working set (ascending, bytes).
  std::vector<GemmDims> streaming_probes;
  std::vector<std::int64_t> streaming_working_sets;
  std::vector<std::int64_t> alltoall_bytes;  // per peer, ascending
  double burst_s = 0.005;                    // sgemm calls right before each all-to-all sample
  // The router's softmax + top-k and its logit gradients (routing.hpp) timed on
  // `routing_tokens` x experts logits for each expert count (ascending) and top-k.
  std::vector<std::int64_t> routing_experts;
  std::vector<std::int64_t> routing_top_k;
  std::int64_t routing_tokens = 1024;
  // Rows beyond whole panels of the BLAS kernel (RowTailSample): probe GEMMs of row_tail_panel + r
  // rows, r = 0 .. row_tail_panel - 1, against a row_tail_n x row_tail_k B, both orientations;
  // 0: no probe.
  std::int64_t row_tail_panel = 0;
  std::int64_t row_tail_n = 0, row_tail_k = 0;
  std::int64_t rounds = 12;
};

// A FIXED grid, the same whatever layers are predicted later: GEMM m in {1, 2, 3, 4, 8, 64, 512,
// 4096} x n in {4, 32, 256, 2048} x k in {1, 4, 32, 288, 2048} (log-spaced by about 8 over the
// shapes a layer meets: a dropless expert's single row, the router's few experts, the experts'
// rows per capacity, widths of 256..2048; 160 shapes, each with B as stored and with B
// transposed: 320).
// Why k = 288, not 256: with B as stored and few rows, OpenBLAS ran k = 128, 256 and 512 about
// 20% slower than the k around them (8 x 384 x k: 56 GFLOP/s at k = 256 and 512, 68 at 192,
// 224, 288, 320, 384, 448; 4% at 64 rows, none at 512), a dip at single sizes that no smooth
// curve through it describes; a grid point on it under-rated every off-grid k near it (0.75-0.90
// of the measured efficiency below 64 rows in the 22:27 oracle profile). 288 is where the curve
// is smooth (and no held-out width).
// Why m = 1, 2, 3, 4: OpenBLAS's sgemm runs m in passes of 4 rows, and a remainder of 1-3 rows
// through narrower code at a fixed time per element of B (calibration.hpp RowTailSample): the
// grid's m are whole passes (4, 8, 64, ...) and every count below one pass, and the row-tail
// probe (4 + r rows x 256 x 288, r = 0..3) prices the remainders above them. Interpolating in
// ln m over points that mix whole and ragged passes mispriced ragged shapes by up to 1.4x
// (traces/measured/README.md). All-to-all of 16
// KiB, 64 KiB, 256 KiB, 1 MiB and 4 MiB per peer; 4 MiB streaming arrays (a layer's
// activations: cache-resident, as in the layer, not DRAM-sized); 15 ms per GEMM sample and
// 5 ms of passes per streaming sample, 12 rounds
// (`calibrate` took 35 s on a quiet 2-core host); probe GEMMs (8 and 64 rows x 256 x 256: an
// expert's few rows against its weights) cycled through 16, 64 and 256 MiB, beyond any cache
// share a core of this class gets; the router's softmax + top-k over 1024 tokens of 2, 8, 32
// and 128 experts, top-1 and top-2 (the held-out layers' 2..64 experts inside). Quick: m in
// {16, 128} x n, k in {4, 64} (8 shapes, 16), the row-tail probe at 64 x 64, 16 KiB and
// 256 KiB all-to-alls, 1 MiB arrays, 2 ms GEMM and 1 ms streaming windows, 3 rounds (seconds;
// for tests).
CalibrationPlan default_plan(bool quick);
// Adds what the plan lacks, keeping its order (a prediction's own shapes and message sizes).
// add_gemm_shapes returns where each of `shapes` stands in plan.gemm.
std::vector<std::size_t> add_gemm_shapes(CalibrationPlan& plan, const std::vector<GemmDims>& shapes);
void add_alltoall_sizes(CalibrationPlan& plan, const std::vector<std::int64_t>& bytes_per_peer);

// Copies of a GEMM's operands that one sample cycles through: enough that together they exceed
// four times the core's L2 cache (1 to 32 copies), so each call reads operands from beyond it, as
// the layer's GEMMs read activations that earlier phases wrote.
std::size_t gemm_operand_copies(const GemmDims& g);
// The two pools every shape's copies are carved from, from the start, one shape at a time: A and
// B (read only), C (written only). Their size is the largest shape's need, not the sum over
// shapes: a calibration of many shapes (validate --oracle's 1,642) then leaves the layers
// measured after it in as much memory as the fixed grid's shapes do.
struct GemmPoolFloats {
  std::size_t operands = 0;  // max over shapes of copies * (m k + k n)
  std::size_t outputs = 0;   // max over shapes of copies * m n
};
GemmPoolFloats gemm_pool_floats(const std::vector<GemmDims>& shapes);
// An operand-streaming probe's extra seconds per call (operands cycled through a working set
// beyond the cache, over the same shape cycling the GEMM table's set), in ns per byte of all
// three of its operands, A[m,k], B[k,n] and C[m,n]: they cycle alike, and the extra grows with
// all three (compute/kernel_model.hpp), so per byte of B alone would grow with the probe's rows.
double streaming_ns_per_operand_byte(const GemmDims& probe, double extra_seconds_per_call);

// One windowed sample, as every GEMM and streaming sample is taken: `timed_pass` runs one pass (a
// GEMM call, a kernel's pass over its arrays) and returns its seconds; passes run back to back
// until they add up to `window_s` (at least one), and the sample is their work over their time,
// in giga-units of `work_per_pass` per second (FLOP or bytes: GFLOP/s, GB/s). A stall then weighs
// by its share of the window's time rather than making or breaking a sample of one pass.
double windowed_giga_rate(const std::function<double()>& timed_pass, double work_per_pass, double window_s);

class Calibrator {
 public:
  // Collective over `comm` (at least 2 ranks). Allocates every buffer the plan needs.
  Calibrator(CalibrationPlan plan, MPI_Comm comm);
  ~Calibrator();
  Calibrator(const Calibrator&) = delete;
  Calibrator& operator=(const Calibrator&) = delete;

  // Once: MPI pingpong latency and bandwidth between ranks 0 and 1, and the 1x1x1 sgemm cost.
  void run_point_to_point();
  // One sample of every GEMM shape, of streaming and of every all-to-all size. Collective.
  // `record` false: a warm-up round (first calls of each size pay page faults and start-up).
  void run_round(bool record = true);
  // run_round in parts, for a caller that interleaves finer than rounds (validate --oracle pairs
  // each config's shapes with its layer): one sample of the GEMM shapes at these indices of
  // plan().gemm, and one of streaming, routing and every all-to-all size (which completes a
  // round: call it once a round, after every shape has had its sample). Collective.
  void run_gemm_shapes(const std::vector<std::size_t>& indices, bool record);
  void run_memory_and_network(bool record);
  const CalibrationPlan& plan() const { return plan_; }
  // Every GEMM sample so far, [shape][round] (the slowest rank's GFLOP/s): one a round, so
  // round-to-round drift can be read from them.
  const std::vector<std::vector<double>>& gemm_samples() const { return gemm_gflops_; }
  // Spreads over the rounds run so far (every rank gets the same). host and threads_per_rank
  // are left for the caller to fill.
  CalibrationResult result() const;
  // The row-tail probe's remainder costs over the rounds run so far (plan().row_tail_panel > 0).
  RowTailSample row_tail() const;

 private:
  // One call of plan().gemm[shape] on its operand copy `copy`.
  void call_gemm(std::size_t shape, std::size_t copy);
  // One sample per probe GEMM and working set (part of run_memory_and_network).
  void run_operand_streaming(bool record);
  // One sample per routing probe (part of run_memory_and_network).
  void run_routing(bool record);
  struct Buffers;
  CalibrationPlan plan_;
  MPI_Comm comm_;
  int rank_ = 0;
  int ranks_ = 0;
  std::unique_ptr<Buffers> buffers_;
  std::vector<std::vector<double>> gemm_gflops_;     // [shape][round], slowest rank
  std::vector<double> stream_GBps_;                  // two per round (copy, scale), this rank
  std::vector<std::vector<double>> streaming_ns_per_byte_;  // [working set][probe x round], slowest rank
  std::vector<std::vector<double>> alltoall_us_;     // [size][round], slowest rank
  std::vector<std::vector<double>> routing_ns_per_logit_;  // [experts x top-k][round], slowest rank
  std::vector<std::vector<double>> routing_backward_ns_per_logit_;  // the same, of router_logit_gradients
  CalibrationResult point_to_point_;                 // latency, bandwidth, tiny GEMM
  std::int64_t rounds_ = 0;  // of run_memory_and_network
};

}  // namespace switchsim::ref::cpu
