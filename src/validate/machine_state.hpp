#pragma once
// Is the machine a measurement ran on fit to judge a model by? Two signs that it was not:
// - busy: other work held the CPUs. Measured directly where the run counted CPU time: the
//   others' share is (the machine's busy CPU time during the run - the ranks' own CPU time) /
//   (the elapsed CPU time of all cores), both from /proc/stat and getrusage (ref/cpu/cpu_time);
//   the machine is busy when it exceeds 5%, the held-out goal's median error: other work that
//   takes a twentieth of the CPUs can move the measured times by as much as the goal allows
//   ("machine busy: other work used 23% of the CPU time during the run").
//   Without that count (a run that did not take it), the 1-minute load averages stand in: with
//   L1 before the run and L2 after it, and `own` = the threads the measurement itself keeps
//   running (ranks x BLAS threads, counted in L2 only), the others' load is max(L1, L2 - own);
//   busy when that exceeds half the cores ("machine busy: load 5.2 on 2 cores"). The load average
//   lags by minutes, so a run right after another one sees the first one's load as busy; the
//   direct count does not.
// - drifting: the calibration's speed changed between its rounds. Round r's speed index is the
//   geometric mean over the GEMM shapes of rate[shape][r] / median over rounds of rate[shape]
//   (1 = a typical round); the drift is (max - min) / median of the indices, flagged above 10%.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchsim::validate {

inline constexpr double kBusyShareOfCores = 0.5;   // of the load average
inline constexpr double kBusyOthersCpuShare = 0.05;  // of the CPU time, counted
inline constexpr double kDriftLimit = 0.10;

// "1.23 0.50 0.20" (/proc/loadavg's first fields) -> 1.23; nullopt when unreadable.
std::optional<double> one_minute_load(const std::string& load_average);

// samples[shape][round] (rates); every shape the same number of rounds (at least 1).
std::vector<double> round_speed_index(const std::vector<std::vector<double>>& samples);
// (max - min) / median of the indices; 0 for fewer than 2 rounds.
double round_drift(const std::vector<double>& index);

// Others' share of the machine's CPU time over a run: (busy_ticks / ticks_per_s - own_cpu_s) /
// (elapsed_ticks / ticks_per_s), floored at 0 (own CPU time read a moment after /proc/stat can
// exceed it by a tick); nullopt when no time elapsed.
std::optional<double> others_cpu_share(std::int64_t busy_ticks, std::int64_t elapsed_ticks, double own_cpu_s,
                                       double ticks_per_s);

struct MachineState {
  std::optional<double> load_before, load_after;  // 1-minute load averages
  std::optional<double> others_cpu_share;         // counted over the run; decides `busy` when known
  std::int64_t cores = 1;
  std::int64_t own_threads = 0;  // what the measurement itself runs
  std::optional<double> drift;   // of the calibration rounds, when it calibrated
};

// One line per sign found, e.g. "machine busy: other work used 23% of the CPU time during the run
// (...)"; empty when quiet.
std::vector<std::string> machine_warnings(const MachineState& s);
// {"load_1min_before", "load_1min_after", "others_cpu_share", "cores", "own_threads", "busy",
//  "calibration_round_drift", "drifting", "warnings"}
nlohmann::json to_json(const MachineState& s);

}  // namespace switchsim::validate
