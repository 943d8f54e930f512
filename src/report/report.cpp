#include "report/report.hpp"

#include "report/findings.hpp"
#include "report/gnuplot.hpp"
#include "report/plots.hpp"

namespace switchsim::report {
namespace {

std::vector<PlannedSection> plan_sections(const ResultsFile& results, const std::vector<MeasuredFile>& measured,
                                          const ReportOptions& options) {
  std::vector<PlannedSection> out;
  out.push_back(PlannedSection{ranking_section(results.results, options.quality), std::nullopt});
  out.push_back(plan_throughput(results.results));
  out.push_back(plan_speedup(results.results));
  out.push_back(plan_phases(results.results));
  out.push_back(plan_dropped(results.results));
  out.push_back(plan_measured(measured));
  out.push_back(plan_memory(results.results));
  return out;
}

Document skeleton(const ResultsFile& results, const std::vector<MeasuredFile>& measured, const ReportOptions& options) {
  Document doc;
  doc.title = options.title;
  doc.context = results.context.entries;
  for (const auto& f : measured) doc.context.emplace_back("measured", f.name);
  if (options.published) doc.context.emplace_back("published", options.published->name);
  doc.summary = summarize(results.results, measured, options.quality);
  return doc;
}

}  // namespace

Document plan_document(const ResultsFile& results, const std::vector<MeasuredFile>& measured,
                       const ReportOptions& options) {
  Document doc = skeleton(results, measured, options);
  for (auto& planned : plan_sections(results, measured, options)) {
    if (planned.plot) planned.section.figure = Figure{planned.plot->file, "", planned.plot->alt};
    doc.sections.push_back(std::move(planned.section));
  }
  if (options.published) doc.sections.push_back(published_section(*options.published));
  return doc;
}

std::vector<OutputFile> build_report(const ResultsFile& results, const std::vector<MeasuredFile>& measured,
                                     const ReportOptions& options) {
  Document doc = skeleton(results, measured, options);
  std::vector<OutputFile> files;
  for (auto& planned : plan_sections(results, measured, options)) {
    if (planned.plot) {
      const auto& job = *planned.plot;
      std::string svg = render_svg(job.commands, job.data, job.size);
      files.push_back({job.file, svg});
      planned.section.figure = Figure{job.file, std::move(svg), job.alt};
    }
    doc.sections.push_back(std::move(planned.section));
  }
  if (options.published) doc.sections.push_back(published_section(*options.published));
  files.push_back({"report.md", render_markdown(doc)});
  files.push_back({"report.html", render_html(doc)});
  return files;
}

}  // namespace switchsim::report
