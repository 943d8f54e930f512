#pragma once
// Is the machine a measurement ran on fit to judge a model by? Two signs that it was not:
// - busy: other work held the CPUs. With L1 = the 1-minute load average before the run and L2
//   after it, and `own` = the threads the measurement itself keeps running (ranks x BLAS
//   threads, counted in L2 only), the others' load is max(L1, L2 - own); the machine is busy
//   when that exceeds half its cores ("machine busy: load 5.2 on 2 cores", with the larger of L1
//   and L2).
// - drifting: the calibration's speed changed between its rounds. Round r's speed index is the
//   geometric mean over the GEMM shapes of rate[shape][r] / median over rounds of rate[shape]
//   (1 = a typical round); the drift is (max - min) / median of the indices, flagged above 10%.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchsim::validate {

inline constexpr double kBusyShareOfCores = 0.5;
inline constexpr double kDriftLimit = 0.10;

// "1.23 0.50 0.20" (/proc/loadavg's first fields) -> 1.23; nullopt when unreadable.
std::optional<double> one_minute_load(const std::string& load_average);

// samples[shape][round] (rates); every shape the same number of rounds (at least 1).
std::vector<double> round_speed_index(const std::vector<std::vector<double>>& samples);
// (max - min) / median of the indices; 0 for fewer than 2 rounds.
double round_drift(const std::vector<double>& index);

struct MachineState {
  std::optional<double> load_before, load_after;  // 1-minute load averages
  std::int64_t cores = 1;
  std::int64_t own_threads = 0;  // what the measurement itself runs
  std::optional<double> drift;   // of the calibration rounds, when it calibrated
};

// One line per sign found, e.g. "machine busy: load 5.2 on 2 cores (...)"; empty when quiet.
std::vector<std::string> machine_warnings(const MachineState& s);
// {"load_1min_before", "load_1min_after", "cores", "busy", "calibration_round_drift", "drifting", "warnings"}
nlohmann::json to_json(const MachineState& s);

}  // namespace switchsim::validate
