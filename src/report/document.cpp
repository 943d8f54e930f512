#include "report/document.hpp"

#include <fmt/format.h>

namespace switchsim::report {
namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

std::string md_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += (c == '\n') ? ' ' : c;
  }
  return out;
}

std::string md_table(const Table& t) {
  std::string out = "|";
  for (const auto& h : t.header) out += fmt::format(" {} |", md_cell(h));
  out += "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const auto& cell : row) out += fmt::format(" {} |", md_cell(cell));
    out += "\n";
  }
  return out;
}

std::string html_table(const Table& t) {
  std::string out = "<div class=\"wide\"><table>\n<thead><tr>";
  for (const auto& h : t.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i)
      out += (i == 0 ? "<td>" : "<td class=\"n\">") + html_escape(row[i]) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table></div>\n";
}

std::string anchor(const std::string& title) {
  std::string out;
  for (char c : title) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
    else if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

constexpr const char* kCss =
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
    "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em}"
    "th,td{border:1px solid #bbb;padding:0.2em 0.6em}th{background:#eee}td.n{text-align:right}"
    "figure{margin:1em 0}svg{max-width:100%;height:auto;display:block}"
    ".wide{overflow-x:auto}.skipped{color:#666;font-style:italic}.context{font-size:0.85em;color:#555}";

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string inline_svg(const std::string& svg, const std::string& prefix) {
  const auto start = svg.find("<svg");
  std::string out = start == std::string::npos ? svg : svg.substr(start);
  for (const char* ns : {"\n xmlns=\"http://www.w3.org/2000/svg\"", "\n xmlns:xlink=\"http://www.w3.org/1999/xlink\"",
                         " xmlns=\"http://www.w3.org/2000/svg\"", " xmlns:xlink=\"http://www.w3.org/1999/xlink\""})
    replace_all(out, ns, "");
  replace_all(out, "xlink:href=", "href=");
  for (const char* quote : {"'", "\""}) {
    replace_all(out, fmt::format("id={}", quote), fmt::format("id={}{}-", quote, prefix));
    replace_all(out, fmt::format("href={}#", quote), fmt::format("href={}#{}-", quote, prefix));
  }
  replace_all(out, "url(#", fmt::format("url(#{}-", prefix));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string render_markdown(const Document& doc) {
  std::string out = "# " + doc.title + "\n\n";
  for (const auto& [key, value] : doc.context) out += fmt::format("- {}: `{}`\n", key, value);
  if (!doc.context.empty()) out += "\n";
  out += "## What this says\n\n";
  for (const auto& p : doc.summary) out += p + "\n\n";
  for (const auto& s : doc.sections) {
    out += "## " + s.title + "\n\n";
    for (const auto& p : s.paragraphs) out += p + "\n\n";
    if (s.figure) out += fmt::format("![{}]({})\n\n", s.figure->alt, s.figure->file);
    if (s.skipped) out += "*No plot: " + *s.skipped + "*\n\n";
    for (const auto& t : s.tables) out += md_table(t) + "\n";
  }
  while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
  return out;
}

std::string render_html(const Document& doc) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + html_escape(doc.title) + "</title>\n<style>" + kCss + "</style>\n</head>\n<body>\n";
  out += "<h1>" + html_escape(doc.title) + "</h1>\n";
  if (!doc.context.empty()) {
    out += "<ul class=\"context\">\n";
    for (const auto& [key, value] : doc.context)
      out += "<li>" + html_escape(key) + ": <code>" + html_escape(value) + "</code></li>\n";
    out += "</ul>\n";
  }
  out += "<h2 id=\"what-this-says\">What this says</h2>\n";
  for (const auto& p : doc.summary) out += "<p>" + html_escape(p) + "</p>\n";
  int plot = 0;
  for (const auto& s : doc.sections) {
    out += fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor(s.title), html_escape(s.title));
    for (const auto& p : s.paragraphs) out += "<p>" + html_escape(p) + "</p>\n";
    if (s.figure) {
      out += fmt::format("<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                         inline_svg(s.figure->svg, fmt::format("p{}", plot++)), html_escape(s.figure->alt));
    }
    if (s.skipped) out += "<p class=\"skipped\">No plot: " + html_escape(*s.skipped) + "</p>\n";
    for (const auto& t : s.tables) out += html_table(t);
  }
  return out + "</body>\n</html>\n";
}

}  // namespace switchsim::report
