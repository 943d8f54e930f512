#pragma once
// Writers for sweep results: CSV for spreadsheets and pandas, JSON for tools (and for
// `switchsim report`). Both are deterministic: a fixed column order (inputs, then outputs,
// as in ResultRow), and in CSV every number printed with "%.6g".
//
// CSV layout: a context block of comment lines, then a header row, then one row per point:
//   # tool: switchsim 0.1.0
//   # git_sha: ...
//   model,experts,capacity_factor,...
// (pandas: read_csv(path, comment='#'); spreadsheets: skip the lines starting with '#').
// Fields with a comma, quote or newline are quoted per RFC 4180 (layouts contain commas).
// An invalid point leaves its output columns empty (and any point without a dense baseline
// its dense_baseline_step_time_s); `oom` and `valid` are true/false.

#include <string>
#include <string_view>
#include <vector>

#include "report/result_row.hpp"

namespace switchsim::report {

std::string write_results_csv(const std::vector<ResultRow>& rows, const RunContext& context);

// {"context": {...}, "results": [rows]} with two-space indentation and a final newline;
// parse_results() reads it back into equal rows.
std::string write_results_json(const std::vector<ResultRow>& rows, const RunContext& context);

// The CSV column names in order (units in the names).
std::vector<std::string> results_csv_columns();

// RFC 4180 quoting of one CSV field.
std::string csv_field(std::string_view text);

}  // namespace switchsim::report
