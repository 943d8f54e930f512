#pragma once
// Precision of matmuls and memory traffic.
//
// The dtype of a phase sets its bytes (dtype_bytes: bf16 2, fp32 and tf32 4) and which peak its
// GEMMs run at (DeviceConfig::peak). Devices differ in what an fp32 matmul is:
//   TPU  the MXU multiplies bf16 only; an fp32 dot runs as bf16 passes, how many set by XLA's
//        PrecisionConfig (jax.lax.Precision docs): DEFAULT one pass (bf16 inputs, fp32
//        accumulation), HIGH three (bf16_3x), HIGHEST six (full fp32 emulation). A profile
//        states the passes its software stack used (field fp32_matmul_passes, with a source),
//        so peak(fp32) = peak(bf16) / passes; --matmul-precision picks another setting.
//   GPU  fp32 and tf32 run at their own datasheet peaks (profile peak_tflops.fp32 / .tf32);
//        --compute-dtype tf32 asks for the tf32 tensor-core path.
// Selective precision (the paper, Section 2.4) is router_dtype fp32 with compute_dtype bf16.

#include <cstdint>

#include "config/device_config.hpp"
#include "model/step_options.hpp"

namespace switchsim::model {

// bf16 passes of one fp32 matmul under an XLA precision setting: 1, 3, 6.
std::int64_t bf16_passes(MatmulPrecision precision);

// Runs the device's fp32 matmuls at `precision`: sets fp32_matmul_passes and
// peak_fp32 = peak_bf16 / passes. Throws std::invalid_argument when the device does not run
// fp32 matmuls as bf16 passes (no fp32_matmul_passes in its profile: GPUs, CPUs).
void apply_matmul_precision(config::DeviceConfig& device, MatmulPrecision precision);

}  // namespace switchsim::model
