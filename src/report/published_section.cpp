#include "report/published_section.hpp"

#include <fmt/format.h>

#include <set>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "report/validation_errors.hpp"

namespace switchsim::report {

PublishedResults parse_published_results(const nlohmann::json& document, const std::string& file) {
  if (!document.is_object()) throw config::ConfigError(file, "/", "must be an object with \"results\"");
  config::ObjectReader top(document, file);
  const auto& rows = top.array("results");
  if (rows.empty()) throw config::ConfigError(file, "/results", "must hold at least one row");
  PublishedResults out;
  out.name = file;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto pointer = "/results/" + std::to_string(i);
    if (!rows[i].is_object()) throw config::ConfigError(file, pointer, "must be an object");
    config::ObjectReader r(rows[i], file, pointer);
    PublishedResultRow row;
    row.id = r.string("id");
    row.document = r.string("document");
    row.where = r.string("where");
    row.hardware = r.string("hardware");
    row.metric = r.string("metric");
    row.measured = r.positive_number("measured");
    row.predicted = r.positive_number("predicted");
    row.err = *relative_error(row.predicted, row.measured);
    out.rows.push_back(std::move(row));
  }
  return out;
}

PublishedResults read_published_results(const std::filesystem::path& file) {
  return parse_published_results(config::load_json_file(file), file.string());
}

Section published_section(const PublishedResults& results) {
  Section s;
  s.title = "Published measurements";
  std::vector<double> errs;
  std::set<std::string> documents;
  Table t;
  t.header = {"id", "hardware", "metric", "measured", "predicted", "err", "source"};
  for (const auto& r : results.rows) {
    errs.push_back(r.err);
    documents.insert(r.document);
    t.rows.push_back({r.id, r.hardware, r.metric, fmt::format("{:.4g}", r.measured), fmt::format("{:.4g}", r.predicted),
                      fmt::format("{:+.3f}", r.err), r.document + "; " + r.where});
  }
  const auto summary = summarize_errors(errs);
  s.paragraphs.push_back(fmt::format(
      "Real-hardware measurements from public sources ({}), predicted with the shipped hardware profiles and no "
      "per-row tuning; err = predicted / measured - 1. {} rows from {} documents: median |err| {:.3f}, worst |err| "
      "{:.3f} ({}).",
      results.name, summary.count, documents.size(), summary.median_abs, summary.max_abs,
      results.rows[summary.max_index].id));
  s.tables.push_back(std::move(t));
  return s;
}

}  // namespace switchsim::report
