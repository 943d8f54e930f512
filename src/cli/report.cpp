// `switchsim report DIR [--measured FILE ...] [--title TEXT]`

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

#include "advise/sample_efficiency.hpp"
#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/report_writer.hpp"
#include "config/catalog.hpp"
#include "report/gnuplot.hpp"
#include "sweep/publish.hpp"

namespace switchsim::cli {
namespace {

struct ReportCliOptions {
  std::string dir;
  std::vector<std::string> measured;
  std::string published;
  std::string title = report::ReportOptions{}.title;
};

int run_report(const ReportCliOptions& o) {
  const std::filesystem::path dir(o.dir);
  const auto results_path = dir / "results.json";
  std::error_code ec;
  sweep::finish_publication(dir);  // a sweep killed while publishing: complete its set first
  if (!std::filesystem::is_regular_file(results_path, ec))
    throw UsageError(fmt::format("{}: no such file (run `switchsim sweep --out {}` first)", results_path.string(),
                                 o.dir));
  const auto results = report::read_results_file(results_path);
  std::vector<report::MeasuredFile> measured;
  for (const auto& m : o.measured) measured.push_back(report::read_measured_file(m));
  report::ReportOptions options{o.title, std::nullopt, quality_curve_for(results.results)};
  if (!o.published.empty()) options.published = report::read_published_results(o.published);
  try {
    for (const auto& path : write_report(dir, results, measured, options))
      fmt::print("{}\n", path.string());
  } catch (const report::ToolError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

std::optional<report::QualityCurve> quality_curve_for(const std::vector<report::ResultRow>& rows) {
  std::set<std::string> families;
  for (const auto& r : rows) {
    const auto dash = r.model.rfind('-');
    const bool numbered = dash != std::string::npos && dash + 1 < r.model.size() &&
                          r.model.find_first_not_of("0123456789", dash + 1) == std::string::npos;
    families.insert(numbered ? r.model.substr(0, dash) : r.model);
  }
  if (families.size() != 1) return std::nullopt;
  const std::string family = *families.begin();
  const auto path = advise::shipped_sample_efficiency(config::Catalog::from_environment().data_dir(), family);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  auto efficiency = std::make_shared<advise::SampleEfficiency>(advise::load_sample_efficiency(path));
  report::QualityCurve curve;
  curve.family = family;
  curve.quality_target = efficiency->quality_target;
  curve.source = "models/sample-efficiency/" + family + ".json";  // same text on every machine
  curve.caveat = efficiency->caveat;
  if (efficiency->top2_same_as_top1) curve.top2_note = efficiency->top2_reason;
  curve.steps_to_quality = [efficiency](std::int64_t experts, std::int64_t top_k) {
    return efficiency->steps_to_quality(experts, top_k);
  };
  return curve;
}

std::vector<report::OutputFile> report_files(const report::ResultsFile& results,
                                             const std::vector<report::MeasuredFile>& measured,
                                             const report::ReportOptions& options) {
  return report::build_report(results, measured, options);
}

std::vector<std::string> report_file_names() {
  std::vector<std::string> names{"report.md", "report.html"};
  for (auto name : report::kPlotFiles) names.emplace_back(name);
  return names;
}

std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const report::ResultsFile& results,
                                                const std::vector<report::MeasuredFile>& measured,
                                                const report::ReportOptions& options) {
  std::vector<sweep::PublishedFile> files;
  std::vector<std::filesystem::path> written;
  for (auto& file : report_files(results, measured, options)) {
    written.push_back(dir / file.name);
    files.push_back({std::move(file.name), std::move(file.content)});
  }
  // One set: a plot skipped this time does not survive from an earlier run next to the new report.
  try {
    sweep::publish_files(dir, files, report_file_names());
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  return written;
}

void setup_report(CLI::App& app, Action& action) {
  auto* cmd = app.add_subcommand(
      "report",
      "Write report.md, a self-contained report.html and plot-*.svg (drawn by gnuplot) into a sweep directory,\n"
      "from DIR/results.json and, optionally, measured step times (as `switchsim validate` writes them).\n"
      "Example: switchsim report runs/sweep-h100\n"
      "         switchsim report runs/sweep-h100 --measured traces/measured-cpu.json --title \"H100 sweep\"");
  auto options = std::make_shared<ReportCliOptions>();
  cmd->add_option("dir", options->dir, "Sweep directory holding results.json; the report is written there")
      ->required();
  cmd->add_option("--measured", options->measured,
                  "JSON file of measured rows (step_time_s, measured_step_time_s, ...); repeatable (default: none)");
  cmd->add_option("--published", options->published,
                  "`switchsim validate --published --json` output: adds a Published measurements section (default: none)");
  cmd->add_option("--title", options->title, "Report title (default: \"" + options->title + "\")");
  cmd->callback([options, &action] { action = [options] { return run_report(*options); }; });
}

}  // namespace switchsim::cli
