#pragma once
// Writes a report into a sweep directory: the files from report::build_report() are published
// as one set (sweep::publish_files), which also removes any plot-*.svg of an earlier run that
// this report skipped. `switchsim report` calls this; `switchsim sweep --report` publishes the
// same files together with its results. Returns the paths written, in order (plots,
// report.md, report.html).

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "report/report.hpp"

namespace switchsim::cli {

// Time-to-quality data for the rows' model family (one family, e.g. switch-base-8..256 ->
// switch-base, with models/sample-efficiency/<family>.json shipped), else none.
std::optional<report::QualityCurve> quality_curve_for(const std::vector<report::ResultRow>& rows);

// The report's files, in memory (gnuplot runs here: report::ToolError when it cannot).
std::vector<report::OutputFile> report_files(const report::ResultsFile& results,
                                             const std::vector<report::MeasuredFile>& measured,
                                             const report::ReportOptions& options);
// Every file name a report may write (report.md, report.html, plot-*.svg).
std::vector<std::string> report_file_names();

std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const report::ResultsFile& results,
                                                const std::vector<report::MeasuredFile>& measured,
                                                const report::ReportOptions& options);

}  // namespace switchsim::cli
