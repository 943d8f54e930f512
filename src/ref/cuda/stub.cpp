// The CUDA reference when the build found no nvcc: same API, every call says why it cannot run.
#include "ref/cuda/api.hpp"

namespace switchsim::ref::cuda {
namespace {
constexpr const char* kWhy = "switchsim was built without CUDA (nvcc not found when CMake configured)";
}

bool built_with_cuda() { return false; }

bool cuda_available(std::string& why_not) {
  why_not = kWhy;
  return false;
}

CudaLayerResult measure_layer_detailed(const LayerSpec&, const RunOptions&) { throw NoCudaDevice(kWhy); }

LayerMeasurement measure_layer(const LayerSpec& spec, const RunOptions& options) {
  return measure_layer_detailed(spec, options).measurement;
}

nlohmann::json device_context() { return nlohmann::json{{"cuda_available", false}, {"reason", kWhy}}; }

KernelBench run_kernel_bench(bool) { throw NoCudaDevice(kWhy); }

}  // namespace switchsim::ref::cuda
