#pragma once
// `--target cuda` of measure, calibrate and validate: the CUDA reference (ref/cuda) behind the
// library's errors. NoCudaDevice becomes NoDeviceError (exit 3 at the CLI); a spec the
// reference rejects becomes RequestError (exit 2).

#include <cstdint>

#include <nlohmann/json.hpp>

#include "ref/measurement.hpp"
#include "validate/tool_info.hpp"

namespace switchsim::validate {

// Throws NoDeviceError with ref::cuda's reason when no device can be used.
void require_cuda_device();

// The spec as --target cuda runs it: target "cuda", dtype bf16, router in fp32.
ref::LayerSpec cuda_spec(ref::LayerSpec spec);

// ref::to_row of the CUDA measurement (one process, spec.ranks GPUs) plus expert_tokens (rank
// 0's assignments per expert), alltoall_mode, workspace_bytes and warmup.
// With `check`: also check_rel_err (max |y - y_einsum| / max |y_einsum|, capacity padding) and
// check_passed (check_rel_err <= kCudaCheckTolerance and no token routed for a non-finite softmax).
nlohmann::json measure_cuda_row(const ref::LayerSpec& spec, std::int64_t warmup, std::int64_t repeats,
                                bool check = false);

// bf16 outputs of two exact formulations summed in different orders: a few bf16 ulps (2^-8 each).
inline constexpr double kCudaCheckTolerance = 2e-2;

// ref::cuda::run_kernel_checks() ({"passed", "checks"}); NoDeviceError without a device.
nlohmann::json cuda_kernel_checks();

// ref::cuda::device_context() (GPU, driver, cuBLAS, NCCL versions) plus tool and git sha.
nlohmann::json cuda_context(const ToolInfo& tool);

}  // namespace switchsim::validate
