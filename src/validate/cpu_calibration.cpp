#include "validate/cpu_calibration.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <thread>

#include "mpi/session.hpp"
#include "ref/cpu/host_info.hpp"
#include "validate/cpu_runtime.hpp"

namespace switchsim::validate {

CpuCalibrationFiles cpu_calibration_files(const std::filesystem::path& device, const std::string& cluster_out,
                                          const std::string& name, std::int64_t ranks) {
  CpuCalibrationFiles f;
  f.device = device;
  f.cluster = cluster_out.empty() ? device.parent_path() / fmt::format("{}-cluster-{}.json", name, ranks)
                                  : std::filesystem::path(cluster_out);
  return f;
}

std::optional<ref::cpu::CalibrationResult> write_cpu_calibration(const ref::cpu::Calibrator& calibrator,
                                                                 const std::string& name,
                                                                 const CpuCalibrationFiles& files,
                                                                 const WriteFile& write) {
  auto r = calibrator.result();
  r.host = ref::cpu::host_info();
  r.threads_per_rank = rank_blas_threads(r.ranks);
  if (mpi::world_rank() != 0) return std::nullopt;
  write(files.device, ref::cpu::device_json(r, name).dump(2) + "\n");
  const std::string cluster_name = files.cluster.stem().string();
  write(files.cluster, ref::cpu::cluster_json(r, cluster_name, name).dump(2) + "\n");
  return r;
}

std::optional<ref::cpu::CalibrationResult> calibrate_cpu(const ref::cpu::CalibrationPlan& plan, const std::string& name,
                                                         const CpuCalibrationFiles& files, const WriteFile& write) {
  mpi::ensure_mpi_initialized();
  // Every rank computes at once, as in `measure`: the rates are one rank's share of the host.
  set_rank_blas_threads(mpi::world_size());
  ref::cpu::Calibrator calibrator(plan, MPI_COMM_WORLD);
  calibrator.run_point_to_point();
  calibrator.run_round(/*record=*/false);
  for (std::int64_t i = 0; i < plan.rounds; ++i) calibrator.run_round();
  return write_cpu_calibration(calibrator, name, files, write);
}

std::string calibration_summary(const ref::cpu::CalibrationResult& r, const CpuCalibrationFiles& files) {
  double peak = 0;
  for (const auto& g : r.gemm) peak = std::max(peak, g.gflops.median);
  std::string out;
  out += fmt::format("calibrated {} ({}, {} ranks x {} BLAS threads, all ranks computing at once, OpenBLAS {} kernels, {} rounds){}\n",
                     r.host.host, r.host.cpu_model, r.ranks, r.threads_per_rank, r.host.blas_core, r.rounds,
                     r.quick ? " [quick]" : "");
  out += fmt::format("  {:>6} {:>6} {:>6} {:>3} {:>14} {:>10}\n", "m", "n", "k", "B", "sgemm_GFLOPps", "efficiency");
  for (const auto& g : r.gemm)
    out += fmt::format("  {:>6} {:>6} {:>6} {:>3} {:>14.2f} {:>10.3f}\n", g.m, g.n, g.k, g.transposed_b ? "T" : "N",
                       g.gflops.median, g.gflops.median / peak);
  out += fmt::format("  peak fp32 per rank (best measured) {:.2f} GFLOP/s; kernel overhead {:.3f} us\n", peak,
                     r.tiny_gemm_us.median);
  out += fmt::format("  memory streaming {:.2f} GB/s per rank (p10 {:.2f}, p90 {:.2f})\n", r.stream_GBps.median,
                     r.stream_GBps.lo, r.stream_GBps.hi);
  for (const auto& o : r.operand_streaming)
    out += fmt::format("  GEMM operands cycling {:>4} MiB instead of {:.1f} MiB: {:+.4f} ns per weight byte (p10 {:+.4f}, p90 {:+.4f})\n",
                       o.working_set_bytes >> 20, static_cast<double>(r.gemm_working_set_bytes) / (1 << 20),
                       o.extra_ns_per_byte.median, o.extra_ns_per_byte.lo, o.extra_ns_per_byte.hi);
  if (r.row_tail) {
    const auto& t = *r.row_tail;
    for (const bool transposed_b : {false, true}) {
      const auto& costs = transposed_b ? t.ns_per_b_element_transposed_b : t.ns_per_b_element;
      for (std::size_t i = 0; i < costs.size(); ++i)
        out += fmt::format("  {} row{} past whole passes of {} (B {}): +{:.4f} ns per element of B (p10 {:.4f}, p90 {:.4f})\n",
                           i + 1, i == 0 ? "" : "s", t.panel_rows, transposed_b ? "T" : "N", costs[i].median,
                           costs[i].lo, costs[i].hi);
    }
  }
  for (const auto& g : r.routing)
    out += fmt::format("  router softmax + top-{} over {} experts: {:.3f} ns per logit (p10 {:.3f}, p90 {:.3f}), "
                       "backward {:.3f}\n",
                       g.top_k, g.experts, g.ns_per_logit.median, g.ns_per_logit.lo, g.ns_per_logit.hi,
                       g.backward_ns_per_logit.median);
  out += fmt::format("  MPI {} ranks: latency {:.3f} us one-way, bandwidth {:.3f} GB/s\n", r.ranks,
                     r.mpi_latency_us.median, r.mpi_bandwidth_GBps.median);
  const auto fit = ref::cpu::fit_alltoall(r.alltoall, r.ranks);
  out += fmt::format("  alltoall after a compute burst ({} rounds), median (p10, p90) vs the fitted line "
                     "{:.1f} us + {:.4f} us/KiB x (ranks-1):\n",
                     r.rounds, fit.fixed_us, fit.per_byte_us * 1024.0);
  for (const auto& a : r.alltoall)
    out += fmt::format("  {:>10} B/peer {:>10.1f} us ({:.1f}, {:.1f}) fit {:.1f}\n", a.bytes_per_peer, a.us.median,
                       a.us.lo, a.us.hi, fit.us_at(a.bytes_per_peer, r.ranks));
  out += fmt::format("  wrote {} and {}\n", files.device.string(), files.cluster.string());
  return out;
}

}  // namespace switchsim::validate
