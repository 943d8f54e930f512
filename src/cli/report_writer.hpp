#pragma once
// Writes a report into a sweep directory: every file from report::build_report() goes to
// DIR/<name> through write_file_atomically. `switchsim report` and `switchsim sweep` both
// call this. Returns the paths written, in order (plots, report.md, report.html); removes any
// plot-*.svg of an earlier run that this report skipped.

#include <filesystem>
#include <vector>

#include "report/report.hpp"

namespace switchsim::cli {

std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const report::ResultsFile& results,
                                                const std::vector<report::MeasuredFile>& measured,
                                                const report::ReportOptions& options);

}  // namespace switchsim::cli
