#pragma once
// `switchsim calibrate --target cuda`: on a GPU, the numbers of `switchsim bench kernels`
// (ref::cuda::run_kernel_bench: large bf16 GEMM = peak, expert GEMMs' fraction of it,
// device-to-device copy = HBM bandwidth) and, with >= 2 GPUs, the all-to-all bus bandwidth
// of the reference layer's NCCL exchange, written as a device file (and a cluster file with
// >= 2 GPUs). Fields it does not measure (fp32/tf32 peaks, tile, kernel overhead) are copied
// from a shipped base device and say so in "sources". Without a device: NoDeviceError.
// The caller checks that the output directory exists.

#include <string>

#include "validate/tool_info.hpp"

namespace switchsim::validate {

struct CudaCalibrationOptions {
  std::string out;   // default traces/measured/NAME-device.json
  std::string name;  // default cuda-calibrated
  std::string base;  // default: h200-sxm on an H200, else h100-sxm
  bool quick = false;
};

// Measures, writes the files with `write` and returns the lines to print (one per file written).
std::string calibrate_cuda(const CudaCalibrationOptions& options, const ToolInfo& tool, const WriteFile& write);

}  // namespace switchsim::validate
