#pragma once
// The saved profile a validation predicts from: a device file (calibrate writes
// "measured by switchsim calibrate ... on HOST DATE" into its "sources") and its cluster file.

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "config/cluster_config.hpp"

namespace switchsim::validate {

// The first "YYYY-MM-DDTHH:MM:SSZ" in `text` as broken-down UTC time. (A hand scan, not
// std::regex: GCC 12 under ASan reports false maybe-uninitialized warnings inside <regex>.)
std::optional<std::tm> find_iso_date(const std::string& text);

// The calibration date of a device file: the first ISO date in its "sources".
std::optional<std::tm> calibration_date(const std::filesystem::path& device_file);

// How long ago the device file was calibrated (its calibration date, else its modification time).
std::optional<double> profile_age_hours(const std::filesystem::path& device_file);

// NAME of NAME.json.
std::string profile_name(const std::filesystem::path& device_file);

// The cluster file with the device file's device in it.
config::ClusterConfig load_profile(const std::filesystem::path& device_file, const std::filesystem::path& cluster_file);

// `profile` with its GEMM table cut to the points of its fixed grid (`gemm_grid`'s axes, as
// stored and transposed): what the same calibration predicts for shapes it did not sample,
// interpolating as from a saved profile. Everything else (streaming, network) stays. An oracle
// run sets its exact shapes' predictions beside these: the difference is the kernel model's
// interpolation error alone, with no drift between two calibrations in it. A profile without a
// grid comes back as it is.
config::ClusterConfig fixed_grid_only(config::ClusterConfig profile);

}  // namespace switchsim::validate
