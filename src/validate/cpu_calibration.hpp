#pragma once
// The CPU calibration shared by `switchsim calibrate --target cpu` and `switchsim validate
// --target cpu` (ref/cpu/calibrator.hpp): every benchmark runs on EVERY rank at once with
// cores / ranks OpenBLAS threads each, the way `measure` runs the layer, so the device file
// describes one rank's share of the host. Collective over MPI_COMM_WORLD.

#include <filesystem>
#include <optional>
#include <string>

#include "ref/cpu/calibration.hpp"
#include "ref/cpu/calibrator.hpp"
#include "validate/tool_info.hpp"

namespace switchsim::validate {

struct CpuCalibrationFiles {
  std::filesystem::path device;
  std::filesystem::path cluster;
};

// The cluster file next to `device` unless `cluster_out` is given: NAME-cluster-RANKS.json.
CpuCalibrationFiles cpu_calibration_files(const std::filesystem::path& device, const std::string& cluster_out,
                                          const std::string& name, std::int64_t ranks);

// A whole calibration: the one-off point-to-point benchmarks, a warm-up round, then
// plan.rounds rounds back to back; rank 0 writes both files and gets the result, other ranks
// nullopt. Collective over MPI_COMM_WORLD.
std::optional<ref::cpu::CalibrationResult> calibrate_cpu(const ref::cpu::CalibrationPlan& plan, const std::string& name,
                                                         const CpuCalibrationFiles& files, const WriteFile& write);

// The files from rounds someone else ran (validate interleaves them with the layer's).
// Collective; rank 0 writes and gets the result.
std::optional<ref::cpu::CalibrationResult> write_cpu_calibration(const ref::cpu::Calibrator& calibrator,
                                                                 const std::string& name,
                                                                 const CpuCalibrationFiles& files,
                                                                 const WriteFile& write);

// Rank 0's summary table (the text `calibrate` prints).
std::string calibration_summary(const ref::cpu::CalibrationResult& r, const CpuCalibrationFiles& files);

}  // namespace switchsim::validate
