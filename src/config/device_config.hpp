#pragma once
// One accelerator or host as read from hardware/*.json (kind "device").

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/dtype.hpp"
#include "units/units.hpp"

namespace switchsim::config {

struct DeviceConfig {
  std::string name;
  std::string kind;  // gpu, tpu_core, cpu
  std::int64_t compute_units = 1;  // SMs on a GPU, cores on a CPU; sets GEMM wave quantization
  FlopsPerSecond peak_bf16;
  FlopsPerSecond peak_fp32;
  FlopsPerSecond peak_tf32;  // equals fp32 where the device has no tf32 mode
  Bytes memory;
  BytesPerSecond memory_bandwidth;
  double gemm_efficiency = 0.75;    // best fraction of peak that large GEMMs reach
  double memory_efficiency = 0.85;  // fraction of memory bandwidth that streaming kernels reach
  std::int64_t gemm_tile = 128;     // output tile edge for wave quantization
  Picoseconds kernel_overhead{0};   // per-kernel launch and tail cost
  // Chips made of several cores (TPU v3: 2 TensorCores a chip) state it explicitly.
  std::int64_t cores_per_chip = 1;
  std::map<std::string, std::string> sources;  // field -> where the number comes from

  FlopsPerSecond peak(DType t) const {
    switch (t) {
      case DType::bf16: return peak_bf16;
      case DType::tf32: return peak_tf32;
      case DType::fp32: return peak_fp32;
    }
    return peak_fp32;
  }
};

// `object` is the device object; `pointer` its location in the file (empty at top level).
DeviceConfig parse_device(const nlohmann::json& object, const std::string& file, const std::string& pointer = "");
nlohmann::json to_json(const DeviceConfig& device);

}  // namespace switchsim::config
