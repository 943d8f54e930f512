// `switchsim report DIR [--measured FILE ...] [--title TEXT]`

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "cli/report_writer.hpp"
#include "report/gnuplot.hpp"

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
  if (!std::filesystem::is_regular_file(results_path, ec))
    throw UsageError(fmt::format("{}: no such file (run `switchsim sweep --out {}` first)", results_path.string(),
                                 o.dir));
  const auto results = report::read_results_file(results_path);
  std::vector<report::MeasuredFile> measured;
  for (const auto& m : o.measured) measured.push_back(report::read_measured_file(m));
  report::ReportOptions options{o.title, std::nullopt};
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

std::vector<std::filesystem::path> write_report(const std::filesystem::path& dir, const report::ResultsFile& results,
                                                const std::vector<report::MeasuredFile>& measured,
                                                const report::ReportOptions& options) {
  std::vector<std::filesystem::path> written;
  const auto files = report::build_report(results, measured, options);
  for (const auto& file : files) {
    write_file_atomically(dir / file.name, file.content);
    written.push_back(dir / file.name);
  }
  // A plot skipped this time must not survive from an earlier run next to the new report.
  for (auto name : report::kPlotFiles) {
    const bool fresh = std::any_of(files.begin(), files.end(), [name](const auto& f) { return f.name == name; });
    std::error_code ec;
    if (!fresh) std::filesystem::remove(dir / name, ec);
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
