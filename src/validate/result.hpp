#pragma once
// What a validation produced and how it reads: the context block, the rows (measured columns
// plus the prediction's), and the summary over the grid (median and max |err step|, the
// config with the largest, the step error split into what every config shares (median err) and
// each config's own (median |err - median err|; report/validation_errors.hpp), median |err|
// per phase, the measured spread per phase ((p90 - p10) / median of the repeats, median over
// the configs: what the measurement itself cannot resolve), the fixed grid's columns beside an
// oracle's (per config in the text), how many measured steps fell in the predicted band, the
// machine's warnings).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchsim::validate {

struct ValidationResult {
  bool root = true;  // false on MPI ranks other than 0: they measured, rank 0 reports
  nlohmann::json context;
  nlohmann::json summary;
  std::vector<nlohmann::json> rows;
  std::string profile_line;  // which profile predicted, and how it came about
};

// The summary of predicted rows (err_* present): see the file comment.
nlohmann::json summarize(const std::vector<nlohmann::json>& rows);

// {"context", "summary", "results"}, as `validate --json` prints it.
nlohmann::json to_json(const ValidationResult& r);

// The text report: the machine's warning lines, the profile line, then per config a table of
// phases (predicted_ms, measured_ms, err) and the summary lines.
std::string to_text(const ValidationResult& r);

}  // namespace switchsim::validate
