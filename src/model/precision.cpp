#include "model/precision.hpp"

#include <stdexcept>

namespace switchsim::model {

std::int64_t bf16_passes(MatmulPrecision precision) {
  switch (precision) {
    case MatmulPrecision::xla_default: return 1;
    case MatmulPrecision::high: return 3;
    case MatmulPrecision::highest: return 6;
  }
  return 1;
}

void apply_matmul_precision(config::DeviceConfig& device, MatmulPrecision precision) {
  if (!device.fp32_matmul_passes)
    throw std::invalid_argument("--matmul-precision: device " + device.name +
                                " runs fp32 matmuls natively (its profile has no fp32_matmul_passes); it applies to "
                                "devices that run them as bf16 passes (TPU profiles). On a GPU choose "
                                "--compute-dtype fp32 or tf32");
  const std::int64_t passes = bf16_passes(precision);
  device.fp32_matmul_passes = passes;
  device.peak_fp32 = FlopsPerSecond(device.peak_bf16.value() / static_cast<double>(passes));
  device.peak_tf32 = device.peak_fp32;
}

}  // namespace switchsim::model
