// `switchsim calibrate --target cpu`: micro-benchmark this host (sgemm over a shape grid,
// streaming memory bandwidth, MPI pingpong and all-to-all between ranks) and write a device
// file and a cluster file in the hardware/*.json schema.

#include <cblas.h>
#include <fmt/format.h>
#include <mpi.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/command.hpp"
#include "cli/mpi_launch.hpp"
#include "cli/output.hpp"
#include "ref/cpu/calibration.hpp"
#include "ref/cpu/mpi_session.hpp"

namespace switchsim::cli {
namespace {

struct CalibrateOptions {
  std::string target = "cpu";
  std::string out = "hardware/host-cpu.json";
  std::string cluster_out;
  std::string name = "host-cpu";
  std::int64_t ranks = 2;
  bool quick = false;
};

// Ranks other than 0 wait here without spinning while rank 0 runs the compute benchmarks.
void idle_until_rank0_done(MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibarrier(comm, &request);
  int done = 0;
  while (!done) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int run_calibrate(const CalibrateOptions& o) {
  if (o.target == "cuda") throw UsageError("--target cuda is not available in this build; use --target cpu");
  if (o.target != "cpu") throw UsageError("--target must be cpu or cuda, got \"" + o.target + "\"");
  if (o.ranks < 2) throw UsageError("--ranks must be at least 2 (the MPI benchmarks need a peer), got " +
                                    std::to_string(o.ranks));
  if (o.out.empty()) throw UsageError("--out must not be empty");
  require_output_directory(o.out);
  if (!o.cluster_out.empty()) require_output_directory(o.cluster_out);
  if (auto code = relaunch_under_mpirun(o.ranks)) return *code;

  ref::cpu::ensure_mpi_initialized();
  const int rank = ref::cpu::world_rank();
  ref::cpu::CalibrationResult r;
  r.quick = o.quick;
  openblas_set_num_threads(1);
  ref::cpu::benchmark_mpi(MPI_COMM_WORLD, o.quick, r);
  if (rank != 0) {
    idle_until_rank0_done(MPI_COMM_WORLD);
    return 0;
  }
  r.host = ref::cpu::host_info();
  openblas_set_num_threads(static_cast<int>(r.host.cores));
  r.gemm = ref::cpu::benchmark_gemm(o.quick);
  r.tiny_gemm_us = ref::cpu::benchmark_tiny_gemm(o.quick);
  r.stream_GBps = ref::cpu::benchmark_stream(o.quick, r.stream_bytes);
  idle_until_rank0_done(MPI_COMM_WORLD);

  const std::filesystem::path out(o.out);
  const std::string cluster_name = fmt::format("{}-cluster-{}", o.name, o.ranks);
  const std::filesystem::path cluster_out =
      o.cluster_out.empty() ? out.parent_path() / (cluster_name + ".json") : std::filesystem::path(o.cluster_out);
  write_file_atomically(out, ref::cpu::device_json(r, o.name).dump(2) + "\n");
  write_file_atomically(cluster_out, ref::cpu::cluster_json(r, cluster_name, o.name).dump(2) + "\n");

  double peak = 0;
  for (const auto& g : r.gemm) peak = std::max(peak, g.gflops.median);
  fmt::print("calibrated {} ({}, {} cores){}\n", r.host.host, r.host.cpu_model, r.host.cores,
             o.quick ? " [quick]" : "");
  fmt::print("  {:>6} {:>6} {:>6} {:>14} {:>10}\n", "m", "n", "k", "sgemm_GFLOPps", "efficiency");
  for (const auto& g : r.gemm)
    fmt::print("  {:>6} {:>6} {:>6} {:>14.2f} {:>10.3f}\n", g.m, g.n, g.k, g.gflops.median, g.gflops.median / peak);
  fmt::print("  peak fp32 (best measured) {:.2f} GFLOP/s; kernel overhead {:.3f} us\n", peak, r.tiny_gemm_us.median);
  fmt::print("  memory streaming {:.2f} GB/s (p10 {:.2f}, p90 {:.2f})\n", r.stream_GBps.median, r.stream_GBps.lo,
             r.stream_GBps.hi);
  fmt::print("  MPI {} ranks: latency {:.3f} us one-way, bandwidth {:.3f} GB/s, alltoall of {} B/peer {:.1f} us\n",
             r.ranks, r.mpi_latency_us.median, r.mpi_bandwidth_GBps.median, r.mpi_alltoall_bytes,
             r.alltoall_us.median);
  fmt::print("  wrote {} and {}\n", out.string(), cluster_out.string());
  return 0;
}

}  // namespace

void setup_calibrate(CLI::App& app, Action& action) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Measure this host and write a device file (sgemm rate over a shape grid: peak = best measured rate,\n"
      "per-shape efficiency table; streaming bandwidth; per-call overhead; p10/p90 spreads as *_lo/*_hi) and\n"
      "a cluster file NAME-cluster-RANKS.json (MPI ranks on a crossbar with measured bandwidth and latency).\n"
      "Takes under a minute (--quick: a few seconds). Measurements: not byte-identical between runs.\n"
      "Example: switchsim calibrate --target cpu --out hardware/host-cpu.json\n"
      "         switchsim calibrate --target cpu --quick --out /tmp/host.json");
  cmd->add_option("--target", o->target, "What to calibrate: cpu (default cpu)");
  cmd->add_option("--out", o->out, "Device file to write (default hardware/host-cpu.json)");
  cmd->add_option("--cluster-out", o->cluster_out,
                  "Cluster file to write (default NAME-cluster-RANKS.json next to --out)");
  cmd->add_option("--name", o->name, "Device name written into the files (default host-cpu)");
  cmd->add_option("--ranks", o->ranks, "MPI ranks for the pingpong/all-to-all benchmarks (default 2)");
  cmd->add_flag("--quick", o->quick, "Small sizes and few repeats (for tests; seconds)");
  cmd->callback([o, &action] { action = [o] { return run_calibrate(*o); }; });
}

}  // namespace switchsim::cli
