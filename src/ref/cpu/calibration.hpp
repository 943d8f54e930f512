#pragma once
// Micro-benchmarks behind `switchsim calibrate --target cpu`: sgemm rate over a grid of
// shapes, streaming memory bandwidth, MPI point-to-point latency/bandwidth and all-to-all,
// and the device/cluster files (hardware/*.json schema) built from them.

#include <mpi.h>

#include <cstdint>
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

struct GemmSample {
  std::int64_t m = 0, n = 0, k = 0;
  Spread gflops;  // achieved GFLOP/s (2 m n k per call)
};

struct CalibrationResult {
  HostInfo host;
  bool quick = false;
  // BLAS threads of each rank while every rank ran the compute benchmarks at once (the
  // conditions of `measure`); 0 when rank 0 ran them alone on all cores.
  std::int64_t threads_per_rank = 0;
  std::vector<GemmSample> gemm;
  Spread tiny_gemm_us;          // a 1x1x1 sgemm call: per-kernel overhead
  Spread stream_GBps;           // copy and scale kernels, bytes read + written per second
  std::int64_t stream_bytes = 0;
  std::int64_t ranks = 0;
  Spread mpi_latency_us;        // one-way, from a pingpong of 8-byte messages, ranks 0 <-> 1
  Spread mpi_bandwidth_GBps;    // one-way, from a pingpong of large messages
  std::int64_t mpi_message_bytes = 0;
  Spread alltoall_us;           // MPI_Alltoall after a compute burst, mpi_alltoall_bytes per peer
  std::int64_t mpi_alltoall_bytes = 0;
  Spread alltoall_small_us;     // the same with mpi_alltoall_small_bytes per peer (the fixed cost)
  std::int64_t mpi_alltoall_small_bytes = 0;
};

// Compute benchmarks (one rank alone, or every rank at once: see cli/cpu_calibration.hpp).
// Each GEMM sample is back-to-back calls over at least 25 ms (quick: 2 ms), so that on a shared
// machine it measures this process's share of the cores, not one lucky time slice.
// With `comm`, every rank of it runs the grid at once (collective), each sample starts after a
// barrier, and a sample's rate is the slowest rank's (MPI_MIN).
std::vector<GemmSample> benchmark_gemm(bool quick, MPI_Comm comm = MPI_COMM_NULL);
Spread benchmark_tiny_gemm(bool quick);
Spread benchmark_stream(bool quick, std::int64_t& bytes);
// Collective over `comm` (needs >= 2 ranks); results valid on every rank.
void benchmark_mpi(MPI_Comm comm, bool quick, CalibrationResult& out);

// The device file: "type": "device", "kind": "cpu"; compute_units = threads_per_rank (or the
// cores when 0); peak_tflops.fp32 = the best median sgemm
// rate of the grid (a measured peak, not a datasheet one), gemm_efficiency_table relative to
// it, spreads as *_lo / *_hi.
nlohmann::json device_json(const CalibrationResult& r, const std::string& name);
// The cluster file: `ranks` host-cpu ranks on one crossbar (nvswitch kind), the device inline;
// link latency = half the small all-to-all's time, link bandwidth from the two sizes' difference.
nlohmann::json cluster_json(const CalibrationResult& r, const std::string& name, const std::string& device_name);

}  // namespace switchsim::ref::cpu
