#pragma once
// Measured step times beside their predictions, as `switchsim validate` writes them:
// {"context": {...}, "results": [rows]}. A row needs experts, capacity_factor,
// step_time_s (predicted) and measured_step_time_s; measured_step_time_s_p10/_p90, the
// prediction's band step_time_s_lo/_hi (the profile's calibrated spreads) and
// per-phase <phase>_time_s / measured_<phase>_time_s pairs and profile_step_time_s (with
// `validate --oracle`) are optional; any other column is
// accepted and, where it names an input (model, cluster, devices, ranks, routing, ...),
// used to label the point.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/result_row.hpp"

namespace switchsim::report {

struct PhasePair {
  double predicted_s = 0;
  double measured_s = 0;
};

struct MeasuredRow {
  std::string label;  // e.g. "switch-base-8 E=8 cf=1 ranks=2"
  std::int64_t experts = 0;
  double capacity_factor = 0;
  double step_time_s = 0;           // predicted
  double measured_step_time_s = 0;  // median of repeats
  std::optional<double> measured_step_time_s_p10;
  std::optional<double> measured_step_time_s_p90;
  std::optional<double> step_time_s_lo;  // the prediction at the fast end of the profile's spreads
  std::optional<double> step_time_s_hi;  // ... at the slow end
  std::map<std::string, PhasePair> phases;  // only phases with both columns
  // `validate --oracle` rows: step_time_s is then the oracle's prediction (each configuration's
  // own GEMM shapes calibrated next to its runs: composition error alone) and this the saved
  // profile's alone (kernel model and composition).
  std::optional<double> profile_step_time_s;

  // predicted / measured - 1 (shared/DESIGN.md's err_*).
  double error() const { return step_time_s / measured_step_time_s - 1.0; }
};

struct MeasuredFile {
  std::string name;  // the path as given
  RunContext context;
  std::vector<MeasuredRow> results;
};

MeasuredFile parse_measured(const nlohmann::json& document, const std::string& name);
MeasuredFile read_measured_file(const std::filesystem::path& path);

}  // namespace switchsim::report
