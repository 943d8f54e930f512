#pragma once
// The CUDA reference (ref/cuda: bf16 on spec.ranks GPUs driven by one process) as a Reference:
// predicted on the profile `calibrate --target cuda` wrote (the device file and its
// NAME-cluster-GPUS.json, unless a cluster file is named). NoDeviceError without a GPU.

#include <filesystem>
#include <string>

#include "validate/reference.hpp"
#include "validate/tool_info.hpp"

namespace switchsim::validate {

class CudaReference final : public Reference {
 public:
  CudaReference(std::filesystem::path device, std::string cluster, ToolInfo tool);
  ReferenceRun run(const Experiment& experiment) override;

 private:
  std::filesystem::path device_;
  std::string cluster_;
  ToolInfo tool_;
};

}  // namespace switchsim::validate
