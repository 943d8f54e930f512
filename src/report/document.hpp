#pragma once
// The report as data: a title, a context list, a summary and sections, each with an
// optional plot (an SVG file beside the report, or the sentence saying why it was skipped)
// and an optional table. One document renders to Markdown and to self-contained HTML, so
// both always say the same thing.

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchsim::report {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

struct Figure {
  std::string file;  // e.g. "plot-throughput.svg", next to report.md
  std::string svg;   // the file's content, as gnuplot wrote it
  std::string alt;   // one-line description
};

struct Section {
  std::string title;
  std::vector<std::string> paragraphs;  // plain text
  std::optional<Figure> figure;
  std::optional<std::string> skipped;  // why there is no plot (never an empty SVG)
  std::vector<Table> tables;
};

struct Document {
  std::string title;
  std::vector<std::pair<std::string, std::string>> context;  // key, value
  std::vector<std::string> summary;                          // "What this says" paragraphs
  std::vector<Section> sections;
};

std::string render_markdown(const Document& doc);
// One file, no external resources and no scripts: SVGs inlined (ids made unique per plot),
// tables as <table>, a few lines of inline CSS.
std::string render_html(const Document& doc);

// For inlining gnuplot's SVG into HTML: drops the XML prolog, the xmlns declarations and
// xlink (so the page names no URL), and prefixes every id and #reference with `prefix`.
std::string inline_svg(const std::string& svg, const std::string& prefix);

std::string html_escape(const std::string& text);

}  // namespace switchsim::report
