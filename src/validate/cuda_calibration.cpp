#include "validate/cuda_calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "config/catalog.hpp"
#include "ref/cuda/api.hpp"
#include "report/validation_errors.hpp"
#include "validate/cuda_rows.hpp"
#include "validate/errors.hpp"

namespace switchsim::validate {
namespace {

// All-to-all bus bandwidth of the reference layer's NCCL exchange over `gpus` GPUs:
// bytes per rank E*C*d*2 (bf16), of which (n-1)/n leave the GPU, each exchange once in the
// forward and once in the backward pass (measured_alltoall_dispatch_time_s covers both).
double alltoall_busbw_GBps(std::int64_t gpus, bool quick) {
  ref::LayerSpec spec;
  spec.ranks = gpus;
  spec.experts = gpus * 8;
  spec.tokens_per_rank = quick ? 4096 : 16384;
  spec.d_model = 2048;
  spec.d_ff = 2048;
  spec = cuda_spec(spec);
  const auto row = measure_cuda_row(spec, 3, quick ? 5 : 20);
  const double bytes = static_cast<double>(spec.experts * row["capacity"].get<std::int64_t>() * spec.d_model * 2);
  const double per_exchange_s = row["measured_alltoall_dispatch_time_s"].get<double>() / 2.0;
  return bytes * static_cast<double>(gpus - 1) / static_cast<double>(gpus) / per_exchange_s / 1e9;
}

}  // namespace

std::string calibrate_cuda(const CudaCalibrationOptions& o, const ToolInfo& tool, const WriteFile& write) {
  const std::string name = o.name.empty() ? "cuda-calibrated" : o.name;
  const std::filesystem::path out = o.out.empty() ? "traces/measured/" + name + "-device.json" : o.out;
  require_cuda_device();
  const auto context = cuda_context(tool);
  // The base device: the shipped datasheet profile of this GPU (H200 or H100) unless named.
  const auto gpu_name = context.at("gpus").at(0).at("name").get<std::string>();
  const std::string base = o.base.empty() ? (gpu_name.find("H200") != std::string::npos ? "h200-sxm" : "h100-sxm") : o.base;
  auto device = config::Catalog::from_environment().device(base);
  ref::cuda::KernelBench bench;
  try {
    bench = ref::cuda::run_kernel_bench(o.quick);
  } catch (const ref::cuda::NoCudaDevice& e) {
    throw NoDeviceError(e.what());
  }
  const auto& gpu = context.at("gpus").at(0);
  const std::string by = fmt::format("measured by switchsim calibrate --target cuda{} on {} ({}, driver {}, cuBLAS {}) {}",
                                     o.quick ? " --quick" : "", gpu.at("name").get<std::string>(),
                                     context.value("cuda_runtime", "?"), context.value("cuda_driver", "?"),
                                     context.value("cublas", "?"), context.value("date_utc", "?"));
  device.name = name;
  device.kind = "gpu";
  device.compute_units = gpu.at("sms").get<std::int64_t>();
  device.memory = Bytes(gpu.at("memory_bytes").get<std::int64_t>());
  device.peak_bf16 = FlopsPerSecond::tera(bench.peak_bf16_tflops);
  device.memory_bandwidth = BytesPerSecond::gigabytes(bench.memcpy_gbps);
  device.memory_efficiency = 1.0;
  std::vector<double> expert_fraction;
  for (const auto& r : bench.rows)
    if (r.name.rfind("expert_gemm", 0) == 0 && r.reference > 0) expert_fraction.push_back(r.rate / r.reference);
  // The peak is the large square GEMM itself, so its efficiency is 1 by definition; the expert
  // GEMMs (Switch shapes) say how much of it a layer's GEMMs reach.
  if (!expert_fraction.empty()) device.gemm_efficiency = std::clamp(report::median(expert_fraction), 0.01, 1.0);
  device.gemm_efficiency_band.reset();
  device.memory_efficiency_band.reset();
  device.memory_bandwidth_band.reset();
  device.gemm_efficiency_table.clear();
  const std::string base_note = fmt::format("from the base device {} (not measured)", base);
  for (auto& [field, source] : device.sources) source = base_note + ": " + source;
  device.sources["compute_units"] = by + ": SM count";
  device.sources["memory_GiB"] = by + ": total device memory";
  device.sources["peak_tflops"] = fmt::format("{}: bf16 = large square cuBLAS bf16 GEMM ({:.1f} TFLOP/s); fp32, tf32 {}",
                                              by, bench.peak_bf16_tflops, base_note);
  device.sources["memory_bandwidth_GBps"] =
      fmt::format("{}: device-to-device cudaMemcpy, read + write bytes ({:.0f} GB/s)", by, bench.memcpy_gbps);
  device.sources["memory_efficiency"] = "1.0: the bandwidth above is already what a copy kernel achieves";
  device.sources["gemm_efficiency"] =
      fmt::format("{}: median over {} expert GEMMs (forward and backward, strided-batched bf16) of rate / peak", by,
                  expert_fraction.size());
  auto device_json = config::to_json(device);
  device_json["type"] = "device";
  write(out, device_json.dump(2) + "\n");
  std::string said = fmt::format("calibrated {} ({} SMs): bf16 peak {:.1f} TFLOP/s, expert GEMM efficiency {:.3f}, copy {:.0f} GB/s\n",
             gpu.at("name").get<std::string>(), device.compute_units, bench.peak_bf16_tflops, device.gemm_efficiency,
             bench.memcpy_gbps);

  const auto gpus = static_cast<std::int64_t>(context.at("gpus").size());
  if (gpus >= 2) {
    const std::int64_t n = std::min<std::int64_t>(gpus, 8);
    const double busbw = alltoall_busbw_GBps(n, o.quick);
    const std::filesystem::path cluster_out = out.parent_path() / fmt::format("{}-cluster-{}.json", name, n);
    device_json.erase("type");
    nlohmann::json cluster{
        {"name", cluster_out.stem().string()},
        {"type", "cluster"},
        {"device", device_json},
        {"devices", n},
        {"topology", {{"kind", "nvswitch"}, {"endpoints", n}, {"link_bandwidth_GBps", busbw}, {"link_latency_us", 1.0}}},
        {"sources",
         {{"topology", fmt::format("{}: NCCL all-to-all bus bandwidth of the reference Switch layer over {} GPUs "
                                   "({:.1f} GB/s); link latency 1 us is an assumption",
                                   by, n, busbw)}}}};
    write(cluster_out, cluster.dump(2) + "\n");
    said += fmt::format("  all-to-all over {} GPUs: bus bandwidth {:.1f} GB/s; wrote {}\n", n, busbw, cluster_out.string());
  } else {
    // One GPU: a one-device cluster, so that `validate --target cuda` predicts on this device;
    // its all-to-all is a device-to-device copy (memory_bandwidth_GBps), the link is unused.
    const std::filesystem::path cluster_out = out.parent_path() / fmt::format("{}-cluster-1.json", name);
    device_json.erase("type");
    nlohmann::json cluster{
        {"name", cluster_out.stem().string()},
        {"type", "cluster"},
        {"device", device_json},
        {"devices", 1},
        {"topology", {{"kind", "nvswitch"}, {"endpoints", 1}, {"link_bandwidth_GBps", 450.0}, {"link_latency_us", 0.5}}},
        {"sources",
         {{"topology", fmt::format("{}: one GPU, so no all-to-all crosses a link (NCCL refuses two ranks on one GPU; "
                                   "the reference copies the rank's own block on the device); the link figures "
                                   "(NVLink 450 GB/s per direction, 0.5 us) are datasheet values, unused",
                                   by)}}}};
    write(cluster_out, cluster.dump(2) + "\n");
    said += fmt::format("  one GPU: no all-to-all bandwidth measured (needs >= 2 GPUs); wrote {}\n", cluster_out.string());
  }
  said += fmt::format("  wrote {}\n", out.string());
  return said;
}

}  // namespace switchsim::validate
