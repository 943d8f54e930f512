#include "advise/advice_output.hpp"

#include <fmt/format.h>

#include "report/gnuplot.hpp"

namespace switchsim::advise {
namespace {

std::vector<std::string> frontier_header() {
  return {"experts", "top_k", "capacity_factor", "layout", "step_time_ms", "params_B", "headroom_pct",
          "dropped_token_pct", "alltoall_share_pct", "time_to_quality_h (estimate)"};
}

std::vector<std::string> frontier_cells(const Candidate& c) {
  return {std::to_string(c.experts),
          std::to_string(c.top_k),
          fmt::format("{:g}", c.capacity_factor),
          c.layout,
          fmt::format("{:.2f}", c.step_time_s * 1e3),
          fmt::format("{:.3f}", static_cast<double>(c.params) / 1e9),
          fmt::format("{:.1f}", 100 * c.headroom_frac),
          fmt::format("{:.2f}", 100 * c.dropped_token_frac),
          fmt::format("{:.1f}", 100 * c.alltoall_share),
          c.time_to_quality_s ? fmt::format("{:.1f}", *c.time_to_quality_s / 3600) : "-"};
}

}  // namespace

nlohmann::ordered_json candidate_json(const Candidate& c) {
  nlohmann::ordered_json j;
  j["experts"] = c.experts;
  j["top_k"] = c.top_k;
  j["capacity_factor"] = c.capacity_factor;
  j["layout"] = c.layout;
  j["feasible"] = c.feasible();
  if (!c.feasible()) j["rejected"] = c.rejected;
  if (c.simulated) {
    j["step_time_s"] = c.step_time_s;
    j["params"] = c.params;
    j["memory_used_bytes"] = c.memory_used_bytes;
    j["memory_capacity_bytes"] = c.memory_capacity_bytes;
    j["memory_headroom_frac"] = c.headroom_frac;
    j["dropped_token_frac"] = c.dropped_token_frac;
    j["alltoall_time_s"] = c.alltoall_time_s;
    j["alltoall_share_frac"] = c.alltoall_share;
    if (c.dense_step_time_s) j["dense_baseline_step_time_s"] = *c.dense_step_time_s;
    if (c.steps_to_quality) j["estimated_steps_to_quality"] = *c.steps_to_quality;
    if (c.time_to_quality_s) j["estimated_time_to_quality_s"] = *c.time_to_quality_s;
  }
  return j;
}

nlohmann::ordered_json advice_json(const Advice& advice, const Context& context, const SampleEfficiency* efficiency) {
  nlohmann::ordered_json doc;
  doc["context"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : context) doc["context"][k] = v;
  doc["max_step_time_s"] = advice.max_step_time_s;
  doc["max_step_time_default"] = advice.max_step_time_default;
  if (efficiency) {
    doc["time_to_quality_note"] =
        "estimate: steps to quality from " + efficiency->file + " (" + efficiency->caveat + ") x simulated step time";
  }
  doc["recommendations"] = nlohmann::ordered_json::array();
  for (const auto& r : advice.recommendations) {
    nlohmann::ordered_json j;
    j["goal"] = r.goal;
    j["title"] = r.title;
    j["point"] = r.pick ? candidate_json(advice.candidates[*r.pick]) : nlohmann::ordered_json(nullptr);
    j["reasons"] = r.reasons;
    doc["recommendations"].push_back(std::move(j));
  }
  doc["frontier"] = nlohmann::ordered_json::array();
  for (auto i : advice.frontier) doc["frontier"].push_back(candidate_json(advice.candidates[i]));
  doc["points"] = nlohmann::ordered_json::array();
  for (const auto& c : advice.candidates) doc["points"].push_back(candidate_json(c));
  return doc;
}

std::string advice_text(const Advice& advice) {
  std::size_t feasible = 0;
  for (const auto& c : advice.candidates) feasible += c.feasible() ? 1 : 0;
  std::string out = fmt::format("{} points simulated, {} feasible, {} on the Pareto frontier "
                                "(step time lower, parameters higher, memory headroom higher):\n",
                                advice.candidates.size(), feasible, advice.frontier.size());
  const auto header = frontier_header();
  out += fmt::format("  {:>7} {:>5} {:>5} {:<22} {:>12} {:>8} {:>12} {:>17} {:>18} {:>28}\n", header[0], header[1], "cf",
                     header[3], header[4], header[5], header[6], header[7], header[8], header[9]);
  for (auto i : advice.frontier) {
    const auto c = frontier_cells(advice.candidates[i]);
    out += fmt::format("  {:>7} {:>5} {:>5} {:<22} {:>12} {:>8} {:>12} {:>17} {:>18} {:>28}\n", c[0], c[1], c[2], c[3],
                       c[4], c[5], c[6], c[7], c[8], c[9]);
  }
  for (const auto& r : advice.recommendations) {
    out += fmt::format("\n{}:\n", r.title);
    for (const auto& reason : r.reasons) out += "  " + reason + "\n";
  }
  return out;
}

report::Document advice_document(const Advice& advice, const Context& context, const SampleEfficiency* efficiency) {
  report::Document doc;
  doc.title = "switchsim advise";
  doc.context = context;
  for (const auto& r : advice.recommendations) {
    std::string line = r.title + ": ";
    for (const auto& reason : r.reasons) line += reason + " ";
    line.pop_back();
    doc.summary.push_back(line);
  }
  if (efficiency)
    doc.summary.push_back("Time to quality is an estimate: steps from " + efficiency->file +
                          " (approximate readings of published curves; " + efficiency->interpolation +
                          ") times the simulator's step time.");

  report::Section frontier;
  frontier.title = "Pareto frontier";
  frontier.paragraphs.push_back(fmt::format(
      "{} feasible configurations are not beaten on step time, parameters and memory headroom at once.",
      advice.frontier.size()));
  report::Table table;
  table.header = frontier_header();
  std::string data;
  for (auto i : advice.frontier) {
    const auto& c = advice.candidates[i];
    table.rows.push_back(frontier_cells(c));
    data += fmt::format("{:.6f} {:.6f}\n", c.step_time_s * 1e3, static_cast<double>(c.params) / 1e9);
  }
  frontier.tables.push_back(std::move(table));
  const std::string commands =
      "set xlabel 'step time (ms)'\nset ylabel 'parameters (billions)'\nset key off\nset grid\n"
      "set title 'Pareto frontier: step time vs parameters'\n"
      "plot 'frontier.dat' using 1:2 with linespoints pt 7\n";
  try {
    frontier.figure = report::Figure{"advice-frontier.svg", report::render_svg(commands, {{"frontier.dat", data}}),
                                     "Frontier configurations: step time (ms) against parameters (billions)"};
  } catch (const report::ToolError& e) {
    frontier.skipped = std::string("no plot: ") + e.what();
  }
  doc.sections.push_back(std::move(frontier));

  report::Section rejected;
  rejected.title = "Rejected points";
  report::Table rt;
  rt.header = {"experts", "top_k", "capacity_factor", "layout", "reason"};
  for (const auto& c : advice.candidates)
    if (!c.feasible())
      rt.rows.push_back({std::to_string(c.experts), std::to_string(c.top_k), fmt::format("{:g}", c.capacity_factor),
                         c.layout, c.rejected});
  rejected.paragraphs.push_back(fmt::format("{} points were rejected.", rt.rows.size()));
  if (!rt.rows.empty()) rejected.tables.push_back(std::move(rt));
  doc.sections.push_back(std::move(rejected));
  return doc;
}

}  // namespace switchsim::advise
