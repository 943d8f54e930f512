#include "validate/cuda_rows.hpp"

#include <stdexcept>
#include <string>

#include "validate/errors.hpp"
#include "ref/cuda/api.hpp"

namespace switchsim::validate {

void require_cuda_device() {
  std::string why;
  if (!ref::cuda::cuda_available(why)) throw NoDeviceError(why);
}

ref::LayerSpec cuda_spec(ref::LayerSpec spec) {
  spec.target = "cuda";
  spec.dtype = "bf16";
  spec.router_dtype = "fp32";
  return spec;
}

nlohmann::json measure_cuda_row(const ref::LayerSpec& spec, std::int64_t warmup, std::int64_t repeats, bool check) {
  ref::cuda::RunOptions options;
  options.warmup = static_cast<int>(warmup);
  options.repeats = static_cast<int>(repeats);
  options.check = check;
  try {
    const auto result = ref::cuda::measure_layer_detailed(spec, options);
    auto row = ref::to_row(result.measurement);
    row["expert_tokens"] = result.expert_counts;
    row["alltoall_mode"] = result.alltoall_mode;
    row["workspace_bytes"] = result.workspace_bytes;
    row["nonfinite_tokens"] = result.nonfinite_tokens;
    row["warmup"] = warmup;
    if (check) {
      bool passed = result.nonfinite_tokens == 0;
      if (result.check_rel_err) {
        row["check_rel_err"] = *result.check_rel_err;
        passed = passed && *result.check_rel_err <= kCudaCheckTolerance;
      }
      row["check_passed"] = passed;
    }
    return row;
  } catch (const ref::cuda::NoCudaDevice& e) {
    throw NoDeviceError(e.what());
  } catch (const std::invalid_argument& e) {
    throw RequestError(e.what());
  }
}

nlohmann::json cuda_kernel_checks() {
  try {
    return ref::cuda::run_kernel_checks();
  } catch (const ref::cuda::NoCudaDevice& e) {
    throw NoDeviceError(e.what());
  }
}

nlohmann::json cuda_context(const ToolInfo& tool) {
  auto ctx = ref::cuda::device_context();
  ctx["tool"] = "switchsim";
  ctx["tool_version"] = tool.version;
  ctx["git_sha"] = tool.git_sha;
  ctx["note"] = "GPU timings (CUDA events per phase); not byte-identical between runs";
  return ctx;
}

}  // namespace switchsim::validate
