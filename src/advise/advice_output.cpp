#include "advise/advice_output.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "advise/explain.hpp"
#include "advise/what_it_would_take.hpp"
#include "report/gnuplot.hpp"
#include "advise/text_units.hpp"

namespace switchsim::advise {
namespace {


std::vector<std::string> frontier_header() {
  return {"experts", "top_k", "capacity_factor", "layout", "batch_tokens", "microbatches", "step_time_ms", "params_B",
          "headroom_pct", "dropped_token_pct", "alltoall_share_pct", "time_to_quality_h (estimate)"};
}

std::string time_to_quality_cell(const Candidate& c) {
  if (!c.time_to_quality_s) return "-";
  return fmt::format("{:.1f}{}", *c.time_to_quality_s / 3600, c.time_to_quality_extrapolated ? " (extrapolated)" : "");
}

std::vector<std::string> frontier_cells(const Candidate& c) {
  std::string layout = c.layout;
  if (!c.remat.empty()) layout += " remat=" + c.remat;
  if (!c.dispatch.empty()) layout += " dispatch=" + c.dispatch;
  return {std::to_string(c.experts),
          std::to_string(c.top_k),
          fmt::format("{:g}", c.capacity_factor),
          layout,
          std::to_string(c.batch_tokens),
          std::to_string(c.microbatches),
          fmt::format("{:.2f}", c.step_time_s * 1e3),
          fmt::format("{:.3f}", static_cast<double>(c.params) / 1e9),
          fmt::format("{:.1f}", 100 * c.headroom_frac),
          fmt::format("{:.2f}", 100 * c.dropped_token_frac),
          fmt::format("{:.1f}", 100 * c.alltoall_share),
          time_to_quality_cell(c)};
}

nlohmann::ordered_json memory_json(const model::MemoryBreakdown& m) {
  nlohmann::ordered_json j;
  for (const auto& [name, bytes] : memory_components(m)) {
    std::string key = name;
    std::replace(key.begin(), key.end(), ' ', '_');
    std::replace(key.begin(), key.end(), '-', '_');
    j[key + "_bytes"] = bytes;
  }
  return j;
}

report::Table neighbour_table(const Advice& advice, const Recommendation& r) {
  report::Table t;
  t.header = {"changed", "to", "step_time_ms", "memory_GiB", "why not"};
  for (const auto& n : r.neighbours) {
    const Candidate* c = n.index ? &advice.candidates[*n.index] : nullptr;
    t.rows.push_back({n.axis, n.value.empty() ? "(default)" : n.value,
                      c && c->simulated ? fmt::format("{:.2f}", c->step_time_s * 1e3) : "-",
                      c && c->memory_known ? fmt::format("{:.1f}", c->memory_used_bytes / kGiB) : "-", n.why_not});
  }
  return t;
}

}  // namespace

std::size_t memory_rejected_before_simulating(const std::vector<Candidate>& candidates) {
  std::size_t n = 0;
  for (const auto& c : candidates) n += c.memory_before_simulating ? 1 : 0;
  return n;
}

nlohmann::ordered_json candidate_json(const Candidate& c) {
  nlohmann::ordered_json j;
  j["experts"] = c.experts;
  j["top_k"] = c.top_k;
  j["capacity_factor"] = c.capacity_factor;
  j["layout"] = c.layout;
  j["batch_tokens"] = c.batch_tokens;
  j["microbatches"] = c.microbatches;
  if (!c.remat.empty()) j["remat"] = c.remat;
  if (!c.dispatch.empty()) j["dispatch"] = c.dispatch;
  j["feasible"] = c.feasible();
  if (!c.feasible()) j["rejected"] = c.rejected;
  j["simulated"] = c.simulated;
  if (c.memory_known && !c.simulated) {
    j["params"] = c.params;
    j["memory_used_bytes"] = c.memory_used_bytes;
    j["memory_capacity_bytes"] = c.memory_capacity_bytes;
    j["memory"] = memory_json(c.memory);
  }
  if (c.simulated) {
    j["step_time_s"] = c.step_time_s;
    j["params"] = c.params;
    j["memory_used_bytes"] = c.memory_used_bytes;
    j["memory_capacity_bytes"] = c.memory_capacity_bytes;
    j["memory_headroom_frac"] = c.headroom_frac;
    j["memory"] = memory_json(c.memory);
    j["dropped_token_frac"] = c.dropped_token_frac;
    j["alltoall_time_s"] = c.alltoall_time_s;
    j["alltoall_share_frac"] = c.alltoall_share;
    if (c.dense_step_time_s) j["dense_baseline_step_time_s"] = *c.dense_step_time_s;
    if (c.steps_to_quality) j["estimated_steps_to_quality"] = *c.steps_to_quality;
    if (c.time_to_quality_s) {
      j["estimated_time_to_quality_s"] = *c.time_to_quality_s;
      j["time_to_quality_extrapolated"] = c.time_to_quality_extrapolated;
    }
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
    j["neighbours"] = nlohmann::ordered_json::array();
    for (const auto& n : r.neighbours)
      j["neighbours"].push_back({{"axis", n.axis}, {"value", n.value}, {"why_not", n.why_not}});
    doc["recommendations"].push_back(std::move(j));
  }
  doc["frontier"] = nlohmann::ordered_json::array();
  for (auto i : advice.frontier) doc["frontier"].push_back(candidate_json(advice.candidates[i]));
  doc["points"] = nlohmann::ordered_json::array();
  for (const auto& c : advice.candidates) doc["points"].push_back(candidate_json(c));
  return doc;
}

std::string advice_text(const Advice& advice) {
  std::size_t feasible = 0, simulated = 0;
  for (const auto& c : advice.candidates) {
    feasible += c.feasible() ? 1 : 0;
    simulated += c.simulated ? 1 : 0;
  }
  std::string out = fmt::format("{} points ({} simulated, {} rejected on memory before simulating), {} feasible, {} on the "
                                "Pareto frontier (step time lower, parameters higher, memory headroom higher):\n",
                                advice.candidates.size(), simulated, memory_rejected_before_simulating(advice.candidates),
                                feasible, advice.frontier.size());
  const auto header = frontier_header();
  constexpr auto row = "  {:>7} {:>5} {:>5} {:<22} {:>12} {:>12} {:>12} {:>8} {:>12} {:>17} {:>18} {:>28}\n";
  out += fmt::format(row, header[0], header[1], "cf", header[3], header[4], header[5], header[6], header[7], header[8],
                     header[9], header[10], header[11]);
  for (auto i : advice.frontier) {
    const auto c = frontier_cells(advice.candidates[i]);
    out += fmt::format(row, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]);
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
  // Every feasible point in grey behind the frontier, so the plot shows what the frontier beats.
  std::string feasible;
  for (const auto& c : advice.candidates)
    if (c.feasible())
      feasible += fmt::format("{:.6f} {:.6f}\n", c.step_time_s * 1e3, static_cast<double>(c.params) / 1e9);
  const std::string commands =
      "set xlabel 'step time (ms)'\nset ylabel 'parameters (billions)'\nset key top left\nset grid\n"
      "set title 'Pareto frontier: step time vs parameters'\n"
      "plot 'feasible.dat' using 1:2 with points pt 6 lc rgb '#aaaaaa' title 'feasible', "
      "'frontier.dat' using 1:2 with linespoints pt 7 lc rgb '#1f77b4' title 'frontier'\n";
  try {
    frontier.figure = report::Figure{"advice-frontier.svg",
                                     report::render_svg(commands, {{"feasible.dat", feasible}, {"frontier.dat", data}}),
                                     "Feasible configurations (grey) and the frontier (blue): step time (ms) against "
                                     "parameters (billions)"};
  } catch (const report::ToolError& e) {
    frontier.skipped = std::string("no plot: ") + e.what();
  }
  doc.sections.push_back(std::move(frontier));

  for (const auto& r : advice.recommendations) {
    if (!r.pick) continue;
    const auto& p = advice.candidates[*r.pick];
    report::Section why;
    why.title = "Why not the neighbours of: " + r.title;
    why.paragraphs.push_back(fmt::format(
        "The pick: {}. The first table is its memory a device, {:.1f} GiB of {:.1f} GiB, per component; the second, "
        "its neighbours (one axis changed to the nearest value searched on either side) and why each was not chosen.",
        describe_point(p), p.memory_used_bytes / kGiB, p.memory_capacity_bytes / kGiB));
    report::Table memory;
    memory.header = {"component", "GiB"};
    for (const auto& [name, bytes] : memory_components(p.memory))
      memory.rows.push_back({name, fmt::format("{:.2f}", bytes / kGiB)});
    why.tables.push_back(std::move(memory));
    if (!r.neighbours.empty()) why.tables.push_back(neighbour_table(advice, r));
    doc.sections.push_back(std::move(why));
  }

  report::Section rejected;
  rejected.title = "Rejected points";
  report::Table rt;
  rt.header = {"experts", "top_k", "capacity_factor", "layout", "batch_tokens", "microbatches", "reason"};
  for (const auto& c : advice.candidates)
    if (!c.feasible())
      rt.rows.push_back({std::to_string(c.experts), std::to_string(c.top_k), fmt::format("{:g}", c.capacity_factor),
                         frontier_cells(c)[3], std::to_string(c.batch_tokens), std::to_string(c.microbatches),
                         c.rejected});
  rejected.paragraphs.push_back(fmt::format("{} points were rejected.", rt.rows.size()));
  if (!rt.rows.empty()) rejected.tables.push_back(std::move(rt));
  doc.sections.push_back(std::move(rejected));
  return doc;
}

}  // namespace switchsim::advise
