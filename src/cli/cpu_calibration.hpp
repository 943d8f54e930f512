#pragma once
// The CPU calibration shared by `switchsim calibrate --target cpu` and `switchsim validate
// --target cpu`: MPI benchmarks between the ranks, then the compute benchmarks (sgemm grid,
// 1x1x1 sgemm, streaming) run on EVERY rank at once with cores / ranks OpenBLAS threads each,
// the way `measure` runs the layer, so the device file describes one rank's share of the host
// (rank 0's numbers are kept). Collective over MPI_COMM_WORLD.

#include <filesystem>
#include <optional>
#include <string>

#include "ref/cpu/calibration.hpp"

namespace switchsim::cli {

struct CpuCalibrationFiles {
  std::filesystem::path device;
  std::filesystem::path cluster;
};

// The cluster file next to `device` unless `cluster_out` is given: NAME-cluster-RANKS.json.
CpuCalibrationFiles cpu_calibration_files(const std::filesystem::path& device, const std::string& cluster_out,
                                          const std::string& name, std::int64_t ranks);

// Runs the benchmarks; rank 0 writes both files and gets the result, other ranks nullopt.
std::optional<ref::cpu::CalibrationResult> calibrate_cpu(bool quick, const std::string& name,
                                                         const CpuCalibrationFiles& files);

// Rank 0's summary table (the text `calibrate` prints).
std::string calibration_summary(const ref::cpu::CalibrationResult& r, const CpuCalibrationFiles& files);

}  // namespace switchsim::cli
