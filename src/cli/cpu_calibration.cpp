#include "cli/cpu_calibration.hpp"

#include <cblas.h>
#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <thread>

#include "cli/output.hpp"
#include "ref/cpu/mpi_session.hpp"

namespace switchsim::cli {

CpuCalibrationFiles cpu_calibration_files(const std::filesystem::path& device, const std::string& cluster_out,
                                          const std::string& name, std::int64_t ranks) {
  CpuCalibrationFiles f;
  f.device = device;
  f.cluster = cluster_out.empty() ? device.parent_path() / fmt::format("{}-cluster-{}.json", name, ranks)
                                  : std::filesystem::path(cluster_out);
  return f;
}

std::optional<ref::cpu::CalibrationResult> calibrate_cpu(bool quick, const std::string& name,
                                                         const CpuCalibrationFiles& files) {
  ref::cpu::ensure_mpi_initialized();
  const int rank = ref::cpu::world_rank();
  const int ranks = ref::cpu::world_size();
  ref::cpu::CalibrationResult r;
  r.quick = quick;
  openblas_set_num_threads(1);
  ref::cpu::benchmark_mpi(MPI_COMM_WORLD, quick, r);
  r.host = ref::cpu::host_info();
  // Every rank computes at once, as in `measure`: the rates are one rank's share of the host.
  const auto threads = std::max<std::int64_t>(1, r.host.cores / ranks);
  r.threads_per_rank = threads;
  openblas_set_num_threads(static_cast<int>(threads));
  MPI_Barrier(MPI_COMM_WORLD);
  r.gemm = ref::cpu::benchmark_gemm(quick, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  r.tiny_gemm_us = ref::cpu::benchmark_tiny_gemm(quick);
  MPI_Barrier(MPI_COMM_WORLD);
  r.stream_GBps = ref::cpu::benchmark_stream(quick, r.stream_bytes);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank != 0) return std::nullopt;
  write_file_atomically(files.device, ref::cpu::device_json(r, name).dump(2) + "\n");
  const std::string cluster_name = files.cluster.stem().string();
  write_file_atomically(files.cluster, ref::cpu::cluster_json(r, cluster_name, name).dump(2) + "\n");
  return r;
}

std::string calibration_summary(const ref::cpu::CalibrationResult& r, const CpuCalibrationFiles& files) {
  double peak = 0;
  for (const auto& g : r.gemm) peak = std::max(peak, g.gflops.median);
  std::string out;
  out += fmt::format("calibrated {} ({}, {} ranks x {} BLAS threads, all ranks computing at once){}\n", r.host.host,
                     r.host.cpu_model, r.ranks, r.threads_per_rank, r.quick ? " [quick]" : "");
  out += fmt::format("  {:>6} {:>6} {:>6} {:>14} {:>10}\n", "m", "n", "k", "sgemm_GFLOPps", "efficiency");
  for (const auto& g : r.gemm)
    out += fmt::format("  {:>6} {:>6} {:>6} {:>14.2f} {:>10.3f}\n", g.m, g.n, g.k, g.gflops.median,
                       g.gflops.median / peak);
  out += fmt::format("  peak fp32 per rank (best measured) {:.2f} GFLOP/s; kernel overhead {:.3f} us\n", peak,
                     r.tiny_gemm_us.median);
  out += fmt::format("  memory streaming {:.2f} GB/s per rank (p10 {:.2f}, p90 {:.2f})\n", r.stream_GBps.median,
                     r.stream_GBps.lo, r.stream_GBps.hi);
  out += fmt::format("  MPI {} ranks: latency {:.3f} us one-way, bandwidth {:.3f} GB/s\n", r.ranks,
                     r.mpi_latency_us.median, r.mpi_bandwidth_GBps.median);
  out += fmt::format("  alltoall after a compute burst (mean, p10, p90): {} B/peer {:.1f} us ({:.1f}, {:.1f}), {} B/peer "
                     "{:.1f} us ({:.1f}, {:.1f})\n",
                     r.mpi_alltoall_small_bytes, r.alltoall_small_us.mean, r.alltoall_small_us.lo,
                     r.alltoall_small_us.hi, r.mpi_alltoall_bytes, r.alltoall_us.mean, r.alltoall_us.lo,
                     r.alltoall_us.hi);
  out += fmt::format("  wrote {} and {}\n", files.device.string(), files.cluster.string());
  return out;
}

}  // namespace switchsim::cli
