#pragma once
// Entry point: a sweep's rows (+ optional measured files) -> the report's files, in memory.
// The caller writes them (cli::write_file_atomically) into the sweep directory, so this
// module never touches the output directory itself.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "report/document.hpp"
#include "report/measured_row.hpp"
#include "report/published_section.hpp"
#include "report/ranking.hpp"
#include "report/result_row.hpp"

namespace switchsim::report {

struct ReportOptions {
  std::string title = "Switch Transformer sweep report";
  std::optional<PublishedResults> published;  // `validate --published --json` output: its own section
  // Steps to a quality target per expert count (the caller loads advise's sample-efficiency
  // data); without it the headline ranks by step time and says so.
  std::optional<QualityCurve> quality;
};

// Every plot file a report may contain; a plot skipped this time leaves no file, so a writer
// removes a stale one from an earlier run.
inline constexpr std::array<std::string_view, 6> kPlotFiles{"plot-throughput.svg", "plot-speedup.svg",
                                                            "plot-phases.svg",     "plot-dropped.svg",
                                                            "plot-measured.svg",   "plot-memory.svg"};

struct OutputFile {
  std::string name;  // bare file name: report.md, report.html, plot-*.svg
  std::string content;
};

// Plans every section (no gnuplot needed); sections whose plot can be drawn carry a figure
// with empty svg until render_document() fills it.
Document plan_document(const ResultsFile& results, const std::vector<MeasuredFile>& measured,
                       const ReportOptions& options);

// Plans, runs gnuplot for each plot (throws ToolError when gnuplot is missing or fails), and
// renders: the plot-*.svg files in section order, then report.md and report.html.
// Deterministic: same inputs give byte-identical files.
std::vector<OutputFile> build_report(const ResultsFile& results, const std::vector<MeasuredFile>& measured,
                                     const ReportOptions& options);

}  // namespace switchsim::report
