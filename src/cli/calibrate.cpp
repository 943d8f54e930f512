// `switchsim calibrate --target cpu`: micro-benchmark this host (sgemm over a shape grid,
// streaming memory bandwidth, MPI pingpong and all-to-all between ranks; validate/cpu_calibration)
// and write a device file and a cluster file in the hardware/*.json schema.
// `--target cuda`: validate/cuda_calibration (exit 3 without a GPU).

#include <fmt/format.h>

#include <memory>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/tool_info.hpp"
#include "validate/cpu_calibration.hpp"
#include "validate/cpu_runtime.hpp"
#include "validate/cuda_calibration.hpp"

namespace switchsim::cli {
namespace {

struct CalibrateOptions {
  std::string target = "cpu";
  std::string out;  // default per target
  std::string cluster_out;
  std::string name;  // default per target
  std::string base;  // cuda: default by GPU name (cuda_calibration.hpp)
  std::int64_t ranks = 2;
  bool quick = false;
};

int run_calibrate_cpu(const CalibrateOptions& o) {
  const std::string name = o.name.empty() ? "host-cpu" : o.name;
  const std::string out = o.out.empty() ? "hardware/host-cpu.json" : o.out;
  if (o.ranks < 2) throw UsageError("--ranks must be at least 2 (the MPI benchmarks need a peer), got " +
                                    std::to_string(o.ranks));
  require_output_directory(out);
  if (!o.cluster_out.empty()) require_output_directory(o.cluster_out);
  if (auto code = validate::relaunch_cpu_ranks(o.ranks)) return *code;
  const auto files = validate::cpu_calibration_files(out, o.cluster_out, name, o.ranks);
  const auto r = validate::calibrate_cpu(ref::cpu::default_plan(o.quick), name, files, write_file_atomically);
  if (r) fmt::print("{}", validate::calibration_summary(*r, files));
  return 0;
}

int run_calibrate(const CalibrateOptions& o) {
  if (o.target != "cpu" && o.target != "cuda")
    throw UsageError("--target must be cpu or cuda, got \"" + o.target + "\"");
  if (!o.out.empty() && o.out.back() == '/') throw UsageError("--out must name a file, got \"" + o.out + "\"");
  if (o.target == "cuda") {
    validate::CudaCalibrationOptions c;
    c.out = o.out;
    c.name = o.name;
    c.base = o.base;
    c.quick = o.quick;
    const std::string name = c.name.empty() ? "cuda-calibrated" : c.name;
    require_output_directory(c.out.empty() ? "traces/measured/" + name + "-device.json" : c.out);
    fmt::print("{}", validate::calibrate_cuda(c, tool_info(), write_file_atomically));
    return 0;
  }
  return run_calibrate_cpu(o);
}

}  // namespace

void setup_calibrate(CLI::App& app, Action& action) {
  auto o = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Measure this host and write a device file (sgemm rate over a FIXED grid, m in {1,2,3,4,8,64,512,4096} x\n"
      "n in {4,32,256,2048} x k in {1,4,32,288,2048}, the same whatever is predicted later: peak = best measured\n"
      "rate, per-shape efficiency table and its gemm_grid, between whose points predictions interpolate in\n"
      "log m, log n, log k (monotone cubic PCHIP); the grid again with B transposed (\"transposed_b\" points: the backward dX GEMMs\n"
      "read their weight so); gemm_row_tail: what 1-3 rows past whole passes of 4 cost per element of B\n"
      "(OpenBLAS runs m in passes of 4 rows; probe of 4+r x 256 x 288); streaming bandwidth; gemm_operand_streaming: the extra ns per weight byte when a\n"
      "GEMM's operands cycle through 16, 64, 256 MiB instead of a cache-sized set (layers whose experts'\n"
      "weights outgrow the cache); router_ns_per_logit: the reference's router softmax + top-1/top-2\n"
      "selection per token and expert over 2, 8, 32, 128 experts (scalar exp and compares, which cost more\n"
      "than their bytes); per-call overhead; p10/p90 spreads as *_lo/*_hi) and\n"
      "a cluster file NAME-cluster-RANKS.json (MPI ranks on a crossbar with measured bandwidth and latency).\n"
      "The compute benchmarks run on every rank at once with cores/RANKS BLAS threads each (how `measure`\n"
      "runs the layer), so the device is one rank's share of the host.\n"
      "Takes about a minute (--quick: a few seconds). Measurements: not byte-identical between runs.\n"
      "--target cuda: bf16 GEMM peak and expert-GEMM efficiency, device-to-device copy bandwidth (switchsim\n"
      "bench kernels' numbers) into a device file, and NAME-cluster-GPUS.json next to it (one GPU: a one-device\n"
      "cluster; two or more: the measured NCCL all-to-all); fields it cannot measure come from --base. Without a GPU:\n"
      "`no CUDA device: ...`, exit 3.\n"
      "Example: switchsim calibrate --target cpu --out hardware/host-cpu.json\n"
      "         switchsim calibrate --target cpu --quick --out /tmp/host.json\n"
      "         switchsim calibrate --target cuda --out traces/measured/h100-device.json");
  cmd->add_option("--target", o->target, "What to calibrate: cpu or cuda (default cpu)");
  cmd->add_option("--out", o->out,
                  "Device file to write (default hardware/host-cpu.json; cuda: traces/measured/NAME-device.json)");
  cmd->add_option("--cluster-out", o->cluster_out,
                  "Cluster file to write, cpu only (default NAME-cluster-RANKS.json next to --out)");
  cmd->add_option("--name", o->name, "Device name written into the files (default host-cpu; cuda: h100-calibrated)");
  cmd->add_option("--base", o->base,
                  "cuda: shipped device whose unmeasured fields (fp32/tf32 peak, memory size, tile) are kept "
                  "(default h200-sxm on an H200, else h100-sxm)");
  cmd->add_option("--ranks", o->ranks, "MPI ranks for the pingpong/all-to-all benchmarks (default 2)");
  cmd->add_flag("--quick", o->quick, "Small sizes and few repeats (for tests; seconds)");
  cmd->callback([o, &action] { action = [o] { return run_calibrate(*o); }; });
}

}  // namespace switchsim::cli
