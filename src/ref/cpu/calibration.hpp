#pragma once
// What `switchsim calibrate --target cpu` measured on this host (ref/cpu/calibrator.hpp takes
// the samples) and the device/cluster files (hardware/*.json schema) built from it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/cpu/host_info.hpp"

namespace switchsim::ref::cpu {

struct Spread {  // of repeated measurements of one quantity
  double median = 0;
  double lo = 0;  // p10
  double hi = 0;  // p90
  double mean = 0;
};
Spread spread_of(const std::vector<double>& samples);

// C[m,n] = A[m,k] B[k,n], or with transposed_b C = A B^T with B stored [n,k] (sgemm's
// CblasTrans on B, as the layer's dX GEMMs call it).
struct GemmDims {
  std::int64_t m = 0, n = 0, k = 0;
  bool transposed_b = false;
  friend bool operator==(const GemmDims&, const GemmDims&) = default;
};

struct GemmSample {
  std::int64_t m = 0, n = 0, k = 0;
  Spread gflops;  // achieved GFLOP/s (2 m n k per call)
  bool transposed_b = false;
};

// A GEMM's extra time per byte of its weight operand B[k,n] when its operands were cycled through `working_set_bytes`
// (two passes, the second timed) instead of the cache-sized set the GEMM table was measured on.
struct OperandStreamingSample {
  std::int64_t working_set_bytes = 0;
  Spread extra_ns_per_byte;  // over probe shapes and rounds
};

// The router's softmax + top-k selection, and its backward up to the GEMMs
// (router_logit_gradients), over tokens x `experts` logits (routing.hpp), per logit.
struct RoutingSample {
  std::int64_t experts = 0;
  std::int64_t top_k = 1;
  Spread ns_per_logit;           // forward; over rounds, the slowest rank's
  Spread backward_ns_per_logit;  // backward, the same way
};

// What rows beyond whole panels of the BLAS kernel cost (compute/kernel_model.hpp), from probe
// GEMMs of panel_rows + r rows against a probe_n x probe_k B: per round, (t(panel_rows + r) -
// t(panel_rows)) / (probe_n probe_k), in ns; [r - 1] for r = 1 .. panel_rows - 1.
struct RowTailSample {
  std::int64_t panel_rows = 0;
  std::int64_t probe_n = 0, probe_k = 0;
  std::vector<Spread> ns_per_b_element;
  std::vector<Spread> ns_per_b_element_transposed_b;
};
// One round's remainder costs from the times (s) of the probe GEMMs of panel_rows + r rows, r = 0
// .. panel_rows - 1 (so seconds.size() is the panel's rows): (seconds[r] - seconds[0]) * 1e9 /
// b_elements. A negative difference (noise) stays negative here; the device file reads it as 0.
std::vector<double> remainder_ns_per_b_element(const std::vector<double>& seconds, double b_elements);

struct AlltoallSample {
  std::int64_t bytes_per_peer = 0;
  Spread us;  // MPI_Alltoall right after a compute burst, the slowest rank's time
};

// GEMM output tile edge written into CPU device files (OpenBLAS blocks are of the order of 64
// rows; CPUs have no wave quantization). Predictions pad ragged experts to it.
inline constexpr std::int64_t kCpuGemmTile = 64;

struct CalibrationResult {
  HostInfo host;
  bool quick = false;
  std::int64_t rounds = 0;  // samples per drifting quantity, taken in interleaved rounds
  // BLAS threads of each rank while every rank ran the compute benchmarks at once (the
  // conditions of `measure`); 0 when rank 0 ran them alone on all cores.
  std::int64_t threads_per_rank = 0;
  std::vector<GemmSample> gemm;
  // The fixed grid's axes (calibrator.hpp): every (m, n, k) of their product is in `gemm`; the
  // device file states them as "gemm_grid" so predictions interpolate between the points.
  std::vector<std::int64_t> grid_m, grid_n, grid_k;
  Spread tiny_gemm_us;          // a 1x1x1 sgemm call: per-kernel overhead
  Spread stream_GBps;           // copy and scale kernels, bytes read + written per second
  std::int64_t stream_bytes = 0;  // per array
  double stream_window_s = 0;     // one sample: back-to-back passes for this long
  // The bytes each GEMM sample's operand copies add up to (4x the L2 cache; calibrator.cpp) and
  // what larger working sets cost on top (ascending).
  std::int64_t gemm_working_set_bytes = 0;
  std::vector<OperandStreamingSample> operand_streaming;
  std::vector<RoutingSample> routing;  // ascending by (top_k, experts)
  std::optional<RowTailSample> row_tail;
  std::int64_t routing_tokens = 0;     // tokens of each routing probe
  std::int64_t ranks = 0;
  Spread mpi_latency_us;        // one-way, from a pingpong of 8-byte messages, ranks 0 <-> 1
  Spread mpi_bandwidth_GBps;    // one-way, from a pingpong of large messages
  std::int64_t mpi_message_bytes = 0;
  std::vector<AlltoallSample> alltoall;  // by size, ascending
};

// All-to-all time t = fixed + per_byte * (ranks - 1) * bytes_per_peer (a crossbar's closed form),
// fitted to the median times by least squares on the RELATIVE error (sum of ((fit - t) / t)^2):
// small and large messages count alike, as they do in the layer's relative error. fixed >= 0;
// per_byte > 0 (a fit that would make it <= 0 falls back to the largest message's rate).
struct AlltoallFit {
  double fixed_us = 0;
  double per_byte_us = 0;
  // The fitted time of an exchange of `bytes_per_peer` among `ranks`.
  double us_at(std::int64_t bytes_per_peer, std::int64_t ranks) const {
    return fixed_us + per_byte_us * static_cast<double>(ranks - 1) * static_cast<double>(bytes_per_peer);
  }
};
AlltoallFit fit_alltoall(const std::vector<AlltoallSample>& samples, std::int64_t ranks);

// The device file: "type": "device", "kind": "cpu"; compute_units = threads_per_rank (or the
// cores when 0); peak_tflops.fp32 = the best median sgemm rate of the shapes measured (a
// measured peak, not a datasheet one), gemm_efficiency_table relative to it, spreads as
// *_lo / *_hi; "gemm_grid" when the result has grid axes; "gemm_operand_streaming" (the
// calibration's own working set at 0 ns/byte, then each measured one's median, negative noise
// read as 0) when the result has operand-streaming samples; "router_ns_per_logit" (medians) when
// it has routing samples; "gemm_row_tail" (medians, negative noise read as 0) when it has a
// row-tail probe.
nlohmann::json device_json(const CalibrationResult& r, const std::string& name);
// The cluster file: `ranks` host-cpu ranks on one crossbar (nvswitch kind), the device inline;
// link latency = half the fitted fixed cost (a message crosses two links), link bandwidth = 1 /
// the fitted per-byte cost.
nlohmann::json cluster_json(const CalibrationResult& r, const std::string& name, const std::string& device_name);

}  // namespace switchsim::ref::cpu
