#pragma once
// The report's six plot sections, each planned from the rows: its table(s), and either a
// gnuplot job or the sentence saying why the plot is skipped (too few distinct x values, no
// measured data). Planning needs no gnuplot; build_report() renders the jobs.
//
// Grouping rules (documented in src/report/README.md):
// - x = experts plots draw one line per (cluster, capacity factor), and per routing, padding,
//   top_k, batch_tokens or seed when those vary in the sweep; when several rows fall on the
//   same point (e.g. different layouts), throughput and speedup show the fastest and memory
//   shows the smallest footprint.
// - throughput, speedup and phases use usable points (valid, not OOM); memory shows every
//   valid point, OOM ones marked.

#include <optional>
#include <string>
#include <vector>

#include "report/document.hpp"
#include "report/gnuplot.hpp"
#include "report/measured_row.hpp"
#include "report/result_row.hpp"

namespace switchsim::report {

struct PlotJob {
  std::string file;  // plot-NAME.svg
  std::string alt;
  std::string commands;
  std::vector<DataFile> data;
  SvgSize size;
};

struct PlannedSection {
  Section section;
  std::optional<PlotJob> plot;  // absent when section.skipped says why
};

PlannedSection plan_throughput(const std::vector<ResultRow>& rows);
PlannedSection plan_speedup(const std::vector<ResultRow>& rows);
PlannedSection plan_phases(const std::vector<ResultRow>& rows);
PlannedSection plan_dropped(const std::vector<ResultRow>& rows);
PlannedSection plan_measured(const std::vector<MeasuredFile>& measured);
PlannedSection plan_memory(const std::vector<ResultRow>& rows);

// Largest number of bars the phase plot draws; more configurations are listed in the table.
inline constexpr std::size_t kMaxPhaseBars = 40;

}  // namespace switchsim::report
