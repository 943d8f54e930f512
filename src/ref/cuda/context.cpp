// The context block of CUDA measurements (Google Benchmark style): what ran, on what, when.
#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "ref/cuda/api.hpp"
#include "ref/cuda/device.hpp"

namespace switchsim::ref::cuda {
namespace {
std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}
std::string version_text(int v) { return fmt::format("{}.{}", v / 1000, (v % 1000) / 10); }
}  // namespace

nlohmann::json device_context() {
  nlohmann::json ctx;
  ctx["date_utc"] = utc_now();
  ctx["built_with_cuda"] = true;
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  ctx["cuda_runtime"] = version_text(runtime);
  int nccl = 0;
  if (ncclGetVersion(&nccl) == ncclSuccess) ctx["nccl"] = fmt::format("{}.{}.{}", nccl / 10000, (nccl % 10000) / 100, nccl % 100);
  int major = 0, minor = 0, patch = 0;
  cublasGetProperty(MAJOR_VERSION, &major);
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  ctx["cublas"] = fmt::format("{}.{}.{}", major, minor, patch);
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    ctx["cuda_available"] = false;
    ctx["reason"] = status != cudaSuccess ? std::string(cudaGetErrorString(status)) : std::string("no CUDA device visible");
    return ctx;
  }
  ctx["cuda_available"] = true;
  int driver = 0;
  cudaDriverGetVersion(&driver);
  ctx["cuda_driver"] = version_text(driver);
  nlohmann::json gpus = nlohmann::json::array();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    gpus.push_back({{"index", i},
                    {"name", p.name},
                    {"compute_capability", fmt::format("{}.{}", p.major, p.minor)},
                    {"sms", p.multiProcessorCount},
                    {"memory_bytes", static_cast<std::int64_t>(p.totalGlobalMem)},
                    {"l2_bytes", p.l2CacheSize},
                    {"memory_bus_bits", p.memoryBusWidth}});
  }
  ctx["gpus"] = gpus;
  return ctx;
}

}  // namespace switchsim::ref::cuda
