#pragma once
// A calibrated device at an edge of its measured spread: every figure that has a band
// (`<field>_lo` / `<field>_hi` in the file: p10 and p90 of the calibration's repeats) set to its
// slow or fast end. Predicting on both edges gives a prediction's uncertainty band.

#include "config/device_config.hpp"

namespace switchsim::config {

enum class BandEdge { slow, fast };

// slow: GEMM efficiencies (the table's and the scalar) at their low ends, the streaming
// efficiency at its low end (or, without one, the memory bandwidth), the kernel overhead at its
// high end; fast: the opposite ends. Figures without a band stay as they are.
DeviceConfig at_band_edge(const DeviceConfig& device, BandEdge edge);

// Whether the device has any band at all (a datasheet profile has none).
bool has_bands(const DeviceConfig& device);

}  // namespace switchsim::config
