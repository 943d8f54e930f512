#include "report/plots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <compare>
#include <map>
#include <set>

#include "report/number_text.hpp"
#include "report/validation_errors.hpp"

namespace switchsim::report {
namespace {

// ---- grouping of rows into lines over experts -------------------------------------------

struct SeriesKey {
  std::string cluster;
  double capacity_factor = 0;
  std::string routing;
  std::string padding;
  std::int64_t top_k = 0;
  std::int64_t batch_tokens = 0;
  std::uint64_t seed = 0;
  auto operator<=>(const SeriesKey&) const = default;
};

SeriesKey key_of(const ResultRow& r) {
  return {r.cluster, r.capacity_factor, r.routing, r.padding, r.top_k, r.batch_tokens, r.seed};
}

// Which input dimensions vary over a set of rows; only those go into labels.
struct Varying {
  bool cluster = false, routing = false, padding = false, top_k = false, batch_tokens = false, seed = false;
};

template <class F>
bool varies(const std::vector<const ResultRow*>& rows, F field) {
  for (const auto* r : rows)
    if (field(*r) != field(*rows.front())) return true;
  return false;
}

Varying varying_of(const std::vector<const ResultRow*>& rows) {
  Varying v;
  if (rows.empty()) return v;
  v.cluster = varies(rows, [](const ResultRow& r) { return r.cluster; });
  v.routing = varies(rows, [](const ResultRow& r) { return r.routing; });
  v.padding = varies(rows, [](const ResultRow& r) { return r.padding; });
  v.top_k = varies(rows, [](const ResultRow& r) { return r.top_k; });
  v.batch_tokens = varies(rows, [](const ResultRow& r) { return r.batch_tokens; });
  v.seed = varies(rows, [](const ResultRow& r) { return r.seed; });
  return v;
}

std::string series_label(const SeriesKey& k, const Varying& v) {
  std::vector<std::string> parts;
  if (v.cluster) parts.push_back(k.cluster);
  parts.push_back("cf=" + factor_text(k.capacity_factor));
  if (v.routing) parts.push_back(k.routing);
  if (v.padding) parts.push_back(k.padding);
  if (v.top_k) parts.push_back(fmt::format("top-{}", k.top_k));
  if (v.batch_tokens) parts.push_back(fmt::format("{} tokens", k.batch_tokens));
  if (v.seed) parts.push_back(fmt::format("seed {}", k.seed));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

// A configuration's short name for bars and tables: cluster/E/cf (+ what else varies).
std::string config_label(const ResultRow& r, const Varying& v) {
  std::string out = fmt::format("{}/E{}/cf{}", r.cluster, r.experts, factor_text(r.capacity_factor));
  if (v.routing) out += "/" + r.routing;
  if (v.padding) out += "/" + r.padding;
  if (v.top_k) out += fmt::format("/top{}", r.top_k);
  if (v.batch_tokens) out += fmt::format("/{}tok", r.batch_tokens);
  if (v.seed) out += fmt::format("/seed{}", r.seed);
  return out;
}

using Series = std::map<SeriesKey, std::map<std::int64_t, const ResultRow*>>;

// keep(a, b): true when row a should replace b at the same point.
template <class Keep>
Series group_by_experts(const std::vector<const ResultRow*>& rows, Keep keep) {
  Series series;
  for (const auto* r : rows) {
    auto& slot = series[key_of(*r)][r->experts];
    if (slot == nullptr || keep(*r, *slot)) slot = r;
  }
  return series;
}

std::vector<const ResultRow*> select(const std::vector<ResultRow>& rows, bool include_oom) {
  std::vector<const ResultRow*> out;
  for (const auto& r : rows)
    if (r.valid && r.outputs && (include_oom || !r.outputs->oom)) out.push_back(&r);
  return out;
}

std::set<std::int64_t> experts_of(const std::vector<const ResultRow*>& rows) {
  std::set<std::int64_t> out;
  for (const auto* r : rows) out.insert(r->experts);
  return out;
}

std::string data_number(double v) { return fmt::format("{:.9g}", v); }

// The sentence for a plot over experts that cannot be drawn.
std::optional<std::string> experts_skip_reason(const std::vector<const ResultRow*>& rows, const char* what) {
  const std::string qualifier = what[0] ? std::string(" ") + what : std::string();
  if (rows.empty()) return fmt::format("no valid point{} to draw.", qualifier);
  const auto experts = experts_of(rows);
  if (experts.size() < 2)
    return fmt::format("every valid point{} has {} experts, so there is no trend over the expert count to draw.",
                       qualifier, *experts.begin());
  return std::nullopt;
}

// A wide table: one row per series, one column per expert count.
template <class Cell>
Table experts_table(const Series& series, const Varying& v, const std::set<std::int64_t>& experts,
                    const std::string& what, Cell cell) {
  Table t;
  t.header.push_back(what);
  for (auto e : experts) t.header.push_back(fmt::format("E={}", e));
  for (const auto& [key, points] : series) {
    std::vector<std::string> row{series_label(key, v)};
    for (auto e : experts) {
      const auto it = points.find(e);
      row.push_back(it == points.end() ? "–" : cell(*it->second));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// ---- styles: colour by capacity factor, line style by routing, marker by padding -----------

constexpr std::array<const char*, 8> kFactorColours{"#1b9e77", "#d95f02", "#7570b3", "#e7298a",
                                                    "#66a61e", "#e6ab02", "#a6761d", "#666666"};

struct Styles {
  std::vector<double> factors;
  std::vector<std::string> routings;
  std::string style(const SeriesKey& k) const {
    const auto f = static_cast<std::size_t>(std::find(factors.begin(), factors.end(), k.capacity_factor) - factors.begin());
    const auto r = static_cast<std::size_t>(std::find(routings.begin(), routings.end(), k.routing) - routings.begin());
    const int marker = k.padding == "capacity" ? 7 : k.padding == "dropless" ? 5 : 9;
    return fmt::format("lc rgb \"{}\" dt {} pt {}", kFactorColours[f % kFactorColours.size()], r % 5 + 1, marker);
  }
};

Styles styles_of(const Series& series) {
  std::set<double> factors;
  std::set<std::string> routings;
  for (const auto& [key, points] : series) {
    factors.insert(key.capacity_factor);
    routings.insert(key.routing);
  }
  Styles s{{factors.begin(), factors.end()}, {}};
  // uniform first, so it keeps the solid line.
  if (routings.contains("uniform")) s.routings.push_back("uniform");
  for (const auto& r : routings)
    if (r != "uniform") s.routings.push_back(r);
  return s;
}

// Relative difference under which two routings' lines count as the same line.
constexpr double kSameLineTolerance = 0.005;

// Routings whose line equals the first routing's line (uniform when present) at every point
// they share, within kSameLineTolerance: drawing them again would hide one line under another.
template <class Y>
std::vector<std::string> redundant_routings(const Series& series, const Styles& styles, Y y) {
  std::vector<std::string> out;
  if (styles.routings.size() < 2) return out;
  const std::string& base = styles.routings.front();
  for (std::size_t i = 1; i < styles.routings.size(); ++i) {
    const std::string& routing = styles.routings[i];
    std::size_t compared = 0;
    bool same = true;
    for (const auto& [key, points] : series) {
      if (key.routing != routing) continue;
      SeriesKey other = key;
      other.routing = base;
      const auto it = series.find(other);
      if (it == series.end()) {
        same = false;
        break;
      }
      for (const auto& [e, r] : points) {
        const auto match = it->second.find(e);
        if (match == it->second.end()) continue;
        const double a = y(*r), b = y(*match->second);
        ++compared;
        if (std::fabs(a - b) > kSameLineTolerance * std::max(std::fabs(a), std::fabs(b))) same = false;
      }
    }
    if (same && compared > 0) out.push_back(routing);
  }
  return out;
}

struct LinePlot {
  PlotJob job;
  std::vector<std::string> hidden_routings;  // same line as the first routing's: said in words
};

// One panel per cluster (gnuplot multiplot), lines over log2(experts), y from `y`;
// `extra(cluster)` adds plot items to a panel (reference lines).
template <class Y, class Extra>
LinePlot experts_line_plot(const std::string& file, const std::string& alt, const std::string& ylabel,
                           const Series& series, const Varying& v, Y y, Extra extra, const std::string& extra_settings) {
  LinePlot out;
  out.job = PlotJob{file, alt, "", {}, {}};
  const auto styles = styles_of(series);
  out.hidden_routings = redundant_routings(series, styles, y);
  std::set<std::string> clusters;
  std::int64_t lo = INT64_MAX, hi = 0;
  for (const auto& [key, points] : series) {
    clusters.insert(key.cluster);
    for (const auto& [e, r] : points) {
      lo = std::min(lo, e);
      hi = std::max(hi, e);
    }
  }
  Varying in_panel = v;
  in_panel.cluster = false;
  in_panel.routing = styles.routings.size() - out.hidden_routings.size() > 1;
  const int columns = std::min<int>(static_cast<int>(clusters.size()), 2);
  const int rows = (static_cast<int>(clusters.size()) + columns - 1) / columns;
  std::string commands = fmt::format(
      "set multiplot layout {},{}\nset logscale x 2\nset xrange [{}:{}]\nset xlabel \"experts (log2 scale)\"\n"
      "set ylabel {}\nset format x \"%g\"\nset grid\nset key below font \",10\"\n"
      "set offsets 0, 0, graph 0.06, graph 0.06\n{}",
      rows, columns, data_number(static_cast<double>(lo) / 1.25), data_number(static_cast<double>(hi) * 1.25),
      gnuplot_quote(ylabel), extra_settings);
  int index = 0;
  for (const auto& cluster : clusters) {
    std::string items;
    for (const auto& [key, points] : series) {
      if (key.cluster != cluster) continue;
      if (std::find(out.hidden_routings.begin(), out.hidden_routings.end(), key.routing) != out.hidden_routings.end())
        continue;
      std::string data;
      for (const auto& [e, r] : points) data += fmt::format("{} {}\n", e, data_number(y(*r)));
      const std::string name = fmt::format("series-{}.dat", index++);
      out.job.data.push_back({name, data});
      items += fmt::format("{}\"{}\" using 1:2 with linespoints lw 2 ps 0.9 {} title {}", items.empty() ? "" : ", ",
                           name, styles.style(key), gnuplot_quote(series_label(key, in_panel)));
    }
    commands += fmt::format("set title {}\nplot {}{}\n", gnuplot_quote(cluster), items, extra(cluster));
  }
  commands += "unset multiplot\n";
  out.job.commands = commands;
  out.job.size = {std::max(900, 620 * columns), 520 * rows};
  return out;
}

// The sentence for routings that are not drawn because they change nothing.
std::string hidden_routings_sentence(const std::vector<std::string>& hidden, const std::string& base,
                                     const std::string& what) {
  std::string names;
  for (const auto& h : hidden) names += (names.empty() ? "" : ", ") + h;
  return fmt::format("{} routing gives the same {} as {} at every point (within {}), so only {} is drawn.", names,
                     what, base, percent_text(kSameLineTolerance), base);
}

// The legend in words, and the routings that are not drawn.
void add_style_note(Section& section, const LinePlot& plot, const Series& series, const std::string& what) {
  const auto styles = styles_of(series);
  std::string note = "One panel per cluster; colour: capacity factor";
  if (styles.routings.size() - plot.hidden_routings.size() > 1) note += "; line style: routing skew";
  note += "; marker: padding (circle: capacity, square: dropless).";
  if (!plot.hidden_routings.empty())
    note += " " + hidden_routings_sentence(plot.hidden_routings, styles.routings.front(), what);
  section.paragraphs.push_back(note);
}

}  // namespace

// ---- (1) throughput --------------------------------------------------------------------

PlannedSection plan_throughput(const std::vector<ResultRow>& rows) {
  PlannedSection out;
  out.section.title = "Throughput vs experts";
  const auto usable = select(rows, false);
  out.section.paragraphs.push_back(
      "Tokens per second of a whole training step (higher is better); only valid points that fit in memory.");
  if (auto why = experts_skip_reason(usable, "that fits in memory")) {
    out.section.skipped = *why;
    return out;
  }
  const auto v = varying_of(usable);
  const auto series = group_by_experts(
      usable, [](const ResultRow& a, const ResultRow& b) { return a.outputs->tokens_per_s > b.outputs->tokens_per_s; });
  out.section.tables.push_back(experts_table(series, v, experts_of(usable), "tokens_per_s",
                                             [](const ResultRow& r) { return number_text(r.outputs->tokens_per_s); }));
  auto plot = experts_line_plot(
      "plot-throughput.svg", "Throughput (tokens/s) vs number of experts, one panel per cluster", "tokens/s", series, v,
      [](const ResultRow& r) { return r.outputs->tokens_per_s; }, [](const std::string&) { return std::string(); },
      "set format y \"%.1s%c\"\n");
  add_style_note(out.section, plot, series, "throughput");
  out.plot = std::move(plot.job);
  return out;
}

// ---- (2) speedup over the dense baseline -------------------------------------------------

PlannedSection plan_speedup(const std::vector<ResultRow>& rows) {
  PlannedSection out;
  out.section.title = "Speedup over the dense baseline";
  out.section.paragraphs.push_back(
      "dense_baseline_step_time_s / step_time_s: how much faster a step is than the dense model of equal FLOPs "
      "per token on the same cluster (above 1 means the MoE model is faster).");
  std::vector<const ResultRow*> usable;
  for (const auto* r : select(rows, false))
    if (r->outputs->dense_baseline_step_time_s) usable.push_back(r);
  if (auto why = experts_skip_reason(usable, "with a dense baseline that fits in memory")) {
    out.section.skipped = *why;
    return out;
  }
  const auto v = varying_of(usable);
  const auto speedup = [](const ResultRow& r) { return *r.outputs->dense_baseline_step_time_s / r.outputs->step_time_s; };
  const auto series =
      group_by_experts(usable, [&](const ResultRow& a, const ResultRow& b) { return speedup(a) > speedup(b); });
  out.section.tables.push_back(experts_table(series, v, experts_of(usable), "speedup",
                                             [&](const ResultRow& r) { return fmt::format("{:.2f}", speedup(r)); }));
  auto plot = experts_line_plot(
      "plot-speedup.svg", "Speedup over the dense baseline of equal FLOPs vs experts, one panel per cluster",
      "speedup over dense (x)", series, v, speedup,
      [](const std::string&) { return std::string(", 1 with lines dt 2 lw 1.5 lc rgb \"#777777\" title \"dense baseline\""); },
      "");
  add_style_note(out.section, plot, series, "speedup");
  out.plot = std::move(plot.job);
  return out;
}

// ---- (3) stacked per-phase step time ------------------------------------------------------

PlannedSection plan_phases(const std::vector<ResultRow>& rows) {
  PlannedSection out;
  out.section.title = "Where the step time goes";
  out.section.paragraphs.push_back(
      "Per-phase time of one step, stacked, for each valid configuration that fits in memory. Phases may overlap "
      "in the simulation, so a stack can exceed step_time_s; the table lists both.");
  auto usable = select(rows, false);
  if (usable.empty()) {
    out.section.skipped = "no valid point that fits in memory.";
    return out;
  }
  std::stable_sort(usable.begin(), usable.end(), [](const ResultRow* a, const ResultRow* b) {
    return std::tie(a->cluster, a->experts, a->capacity_factor, a->routing) <
           std::tie(b->cluster, b->experts, b->capacity_factor, b->routing);
  });
  const auto v = varying_of(usable);
  // Phases that are zero in every row (e.g. no model-parallel all-reduce) are left out.
  std::vector<std::size_t> phases;
  for (std::size_t p = 0; p < kStepPhases.size(); ++p)
    if (std::any_of(usable.begin(), usable.end(), [p](const ResultRow* r) { return r->outputs->phase_time_s[p] > 0; }))
      phases.push_back(p);
  Table t;
  t.header = {"config", "step_time_s"};
  for (auto p : phases) t.header.push_back(std::string(kStepPhases[p]) + "_time_s");
  t.header.push_back("alltoall share");
  for (const auto* r : usable) {
    std::vector<std::string> row{config_label(*r, v), number_text(r->outputs->step_time_s)};
    for (auto p : phases) row.push_back(number_text(r->outputs->phase_time_s[p]));
    row.push_back(percent_text(r->outputs->alltoall_share()));
    t.rows.push_back(std::move(row));
  }
  out.section.tables.push_back(std::move(t));

  const std::size_t bars = std::min(usable.size(), kMaxPhaseBars);
  if (bars < usable.size())
    out.section.paragraphs.push_back(
        fmt::format("The plot shows the first {} of {} configurations; the table lists all.", bars, usable.size()));
  std::string data;
  for (std::size_t i = 0; i < bars; ++i) {
    data += fmt::format("\"{}\"", config_label(*usable[i], v));
    for (auto p : phases) data += fmt::format(" {}", data_number(usable[i]->outputs->phase_time_s[p]));
    data += "\n";
  }
  PlotJob job{"plot-phases.svg", "Per-phase step time (s), stacked, per configuration", "", {{"phases.dat", data}}, {}};
  // Fixed colours per phase (gnuplot's default cycle repeats after 8); all-to-all in reds.
  constexpr std::array<const char*, kStepPhases.size()> colours{
      "#bcbd22", "#2ca02c", "#98df8a", "#9467bd", "#8c564b", "#d62728", "#1f77b4",
      "#ff9896", "#c49c94", "#17becf", "#ff7f0e", "#7f7f7f", "#e7e7e7"};
  std::string items;
  for (std::size_t i = 0; i < phases.size(); ++i)
    items += fmt::format("{}\"phases.dat\" using {}{} lc rgb \"{}\" title \"{}\"", i ? ", " : "", i + 2,
                         i ? "" : ":xtic(1)", colours[phases[i]], kStepPhases[phases[i]]);
  const int width = std::max(900, static_cast<int>(300 + 28 * bars));
  job.size = {width, 520};
  job.commands = fmt::format(
      "set style data histograms\nset style histogram rowstacked\nset style fill solid 0.85 border rgb \"#333333\"\n"
      "set boxwidth 0.75\nset ylabel \"time per step (s)\"\nset yrange [0:*]\nset grid ytics\n"
      "set xtics rotate by -50 font \",9\"\nset key outside right top\nplot {}\n",
      items);
  out.plot = std::move(job);
  return out;
}

// ---- (4) dropped tokens vs capacity factor --------------------------------------------------

PlannedSection plan_dropped(const std::vector<ResultRow>& rows) {
  PlannedSection out;
  out.section.title = "Dropped tokens vs capacity factor";
  out.section.paragraphs.push_back(
      "Fraction of tokens over their expert's capacity (they skip the expert and pass through the residual), one "
      "panel per routing skew, one line per expert count (the mean over the valid points of that routing, expert "
      "count and capacity factor: clusters, layouts, batch sizes). Dropless padding drops nothing and is left out.");
  struct Stat {
    double sum = 0, min = 1e300, max = 0;
    int n = 0;
  };
  // routing -> experts -> capacity factor
  std::map<std::string, std::map<std::int64_t, std::map<double, Stat>>> by_routing;
  std::map<std::string, std::map<double, Stat>> table_stats;
  std::set<double> factors;
  std::set<std::int64_t> experts;
  for (const auto* r : select(rows, true)) {
    if (r->padding == "dropless") continue;
    const double d = r->outputs->dropped_token_frac;
    for (auto* s : {&by_routing[r->routing][r->experts][r->capacity_factor], &table_stats[r->routing][r->capacity_factor]}) {
      s->sum += d;
      s->min = std::min(s->min, d);
      s->max = std::max(s->max, d);
      ++s->n;
    }
    factors.insert(r->capacity_factor);
    experts.insert(r->experts);
  }
  if (factors.size() < 2) {
    out.section.skipped = factors.empty() ? "no valid point with capacity padding."
                                          : fmt::format("every point has capacity factor {}, so there is no trend "
                                                        "over the capacity factor to draw.",
                                                        factor_text(*factors.begin()));
    return out;
  }
  Table t;
  t.header = {"routing", "capacity_factor", "dropped_token_frac (mean)", "min", "max", "points"};
  for (const auto& [routing, stats] : table_stats)
    for (const auto& [cf, st] : stats)
      t.rows.push_back({routing, factor_text(cf), number_text(st.sum / st.n), number_text(st.min), number_text(st.max),
                        std::to_string(st.n)});
  // Expert counts coloured along a sequential ramp (viridis), the same in every panel.
  constexpr std::array<const char*, 8> ramp{"#440154", "#46327e", "#365c8d", "#277f8e",
                                            "#1fa187", "#4ac16d", "#a0da39", "#d0c21a"};
  const std::vector<std::int64_t> expert_list(experts.begin(), experts.end());
  PlotJob job{"plot-dropped.svg", "Dropped-token fraction vs capacity factor, one panel per routing skew", "", {}, {}};
  const int columns = std::min<int>(static_cast<int>(by_routing.size()), 2);
  const int panel_rows = (static_cast<int>(by_routing.size()) + columns - 1) / columns;
  std::string commands = fmt::format(
      "set multiplot layout {},{}\nset xrange [{}:{}]\nset xlabel \"capacity factor\"\n"
      "set ylabel \"dropped-token fraction\"\nset yrange [0:*]\nset grid\nset key top right font \",10\"\n"
      "set offsets 0, 0, graph 0.06, 0\n",
      panel_rows, columns, data_number(*factors.begin() - 0.1), data_number(*factors.rbegin() + 0.1));
  int index = 0;
  for (const auto& [routing, by_experts] : by_routing) {
    std::string items;
    for (const auto& [e, stats] : by_experts) {
      std::string data;
      for (const auto& [cf, st] : stats) data += fmt::format("{} {}\n", data_number(cf), data_number(st.sum / st.n));
      const std::string name = fmt::format("dropped-{}.dat", index++);
      job.data.push_back({name, data});
      const auto colour = static_cast<std::size_t>(
          std::find(expert_list.begin(), expert_list.end(), e) - expert_list.begin());
      items += fmt::format("{}\"{}\" using 1:2 with linespoints lw 2 pt 7 lc rgb \"{}\" title \"E={}\"",
                           items.empty() ? "" : ", ", name,
                           ramp[std::min(ramp.size() - 1, colour * ramp.size() / std::max<std::size_t>(1, expert_list.size()))], e);
    }
    commands += fmt::format("set title {}\nplot {}\n", gnuplot_quote("routing " + routing), items);
  }
  commands += "unset multiplot\n";
  job.commands = commands;
  job.size = {std::max(900, 560 * columns), 440 * panel_rows};
  out.section.tables.push_back(std::move(t));
  out.plot = std::move(job);
  return out;
}

// ---- (5) predicted vs measured ------------------------------------------------------------

PlannedSection plan_measured(const std::vector<MeasuredFile>& measured) {
  PlannedSection out;
  out.section.title = "Predicted vs measured";
  std::vector<std::pair<const MeasuredFile*, const MeasuredRow*>> points;
  for (const auto& f : measured)
    for (const auto& r : f.results) points.emplace_back(&f, &r);
  if (points.empty()) {
    out.section.skipped = measured.empty() ? "no measured data given (add --measured FILE)."
                                           : "the measured files have no rows.";
    return out;
  }
  const bool banded = std::any_of(points.begin(), points.end(), [](const auto& p) { return p.second->step_time_s_lo.has_value(); });
  out.section.paragraphs.push_back(std::string(
      "Each point is one measured configuration: measured step time (median of repeats, horizontal bars from p10 "
      "to p90 when given) against the prediction") +
      (banded ? " (vertical bars: the prediction on the profile's calibrated spreads, p90 to p10 rates)" : "") +
      ". The solid line is y = x; the dashed lines are ±10%, the dotted ±25%. err = predicted / measured − 1.");
  const bool oracle = std::any_of(points.begin(), points.end(), [](const auto& p) { return p.second->profile_step_time_s.has_value(); });
  if (oracle)
    out.section.paragraphs.push_back(
        "Oracle rows (`validate --oracle`): step_time_s is predicted from each configuration's own GEMM shapes, "
        "calibrated in the same rounds as its runs, so its error is the composition's alone (how phases add up); "
        "profile_step_time_s is predicted from the same calibration's fixed grid alone, as for any configuration "
        "never measured (the kernel model's interpolation error too). The table after the points sets the two side "
        "by side.");
  Table t;
  t.header = {"point", "measured_step_time_s", "p10..p90 (s)", "step_time_s (predicted)", "err"};
  if (banded) t.header.insert(t.header.begin() + 4, "predicted band (s)");
  if (oracle) {
    t.header[3] = "step_time_s (oracle)";
    t.header.push_back("profile_step_time_s (fixed grid alone)");
    t.header.push_back("profile err");
  }
  std::vector<double> oracle_errors, profile_errors;
  std::string data;
  double lo = 1e300, hi = 0;
  std::map<std::string, std::vector<double>> phase_errors;
  for (const auto& [file, r] : points) {
    const double p10 = r->measured_step_time_s_p10.value_or(r->measured_step_time_s);
    const double p90 = r->measured_step_time_s_p90.value_or(r->measured_step_time_s);
    const double band_lo = r->step_time_s_lo.value_or(r->step_time_s);
    const double band_hi = r->step_time_s_hi.value_or(r->step_time_s);
    data += fmt::format("{} {} {} {} {} {}\n", data_number(r->measured_step_time_s), data_number(r->step_time_s),
                        data_number(p10), data_number(p90), data_number(band_lo), data_number(band_hi));
    lo = std::min({lo, p10, band_lo, r->step_time_s, r->measured_step_time_s});
    hi = std::max({hi, p90, band_hi, r->step_time_s, r->measured_step_time_s});
    const std::string label = measured.size() > 1 ? r->label + " (" + file->name + ")" : r->label;
    t.rows.push_back({label, number_text(r->measured_step_time_s),
                      r->measured_step_time_s_p10 || r->measured_step_time_s_p90
                          ? number_text(p10) + ".." + number_text(p90)
                          : "–",
                      number_text(r->step_time_s), fmt::format("{:+.1f}%", r->error() * 100)});
    if (banded)
      t.rows.back().insert(t.rows.back().begin() + 4,
                           r->step_time_s_lo ? number_text(band_lo) + ".." + number_text(band_hi) : "–");
    if (oracle) {
      std::string profile_text = "–", profile_err_text = "–";
      if (r->profile_step_time_s) {
        profile_text = number_text(*r->profile_step_time_s);
        if (const auto err = relative_error(*r->profile_step_time_s, r->measured_step_time_s)) {
          profile_err_text = fmt::format("{:+.1f}%", *err * 100);
          oracle_errors.push_back(r->error());  // only rows with both predictions are compared
          profile_errors.push_back(*err);
        }
      }
      t.rows.back().push_back(profile_text);
      t.rows.back().push_back(profile_err_text);
    }
    for (const auto& [phase, pair] : r->phases)
      if (const auto err = relative_error(pair.predicted_s, pair.measured_s)) phase_errors[phase].push_back(*err);
  }
  out.section.tables.push_back(std::move(t));
  if (!oracle_errors.empty()) {
    Table ot;
    ot.header = {"prediction", "points", "median |err step|", "max |err step|", "median err step (shared)",
                 "median |err − median| (own)"};
    const auto row = [&](const std::string& name, const std::vector<double>& errs) {
      const auto s = summarize_errors(errs);
      ot.rows.push_back({name, std::to_string(s.count), percent_text(s.median_abs), percent_text(s.max_abs),
                         fmt::format("{:+.1f}%", s.median * 100), percent_text(s.median_abs_deviation)});
    };
    row("oracle (own shapes calibrated: composition error)", oracle_errors);
    row("fixed grid alone (interpolation + composition)", profile_errors);
    out.section.tables.push_back(std::move(ot));
  }
  {
    // Per file: the step error split into what its configurations share and what each has of its
    // own (validation_errors.hpp), so that a run whose every point is off alike reads as such.
    Table st;
    st.header = {"file", "points", "median |err step|", "median err step (shared)", "median |err − median| (own)",
                 "max |err step|"};
    for (const auto& f : measured) {
      std::vector<double> errs;
      for (const auto& r : f.results) errs.push_back(r.error());
      if (errs.empty()) continue;
      const auto s = summarize_errors(errs);
      st.rows.push_back({f.name, std::to_string(s.count), percent_text(s.median_abs), fmt::format("{:+.1f}%", s.median * 100),
                         percent_text(s.median_abs_deviation), percent_text(s.max_abs)});
    }
    out.section.paragraphs.push_back(
        "The step table splits each file's error in two: the median of the signed errors is what every "
        "configuration shares (a calibration that met the machine at another speed than the measurement, or a "
        "cost every layer pays), the median |err − median| is each configuration's own (the model's description of "
        "that layer).");
    out.section.tables.push_back(std::move(st));
  }
  if (!phase_errors.empty()) {
    Table pt;
    pt.header = {"phase", "points", "median |err|", "worst err"};
    for (auto phase : kStepPhases) {
      const auto it = phase_errors.find(std::string(phase));
      if (it == phase_errors.end()) continue;
      const auto& errs = it->second;
      const auto s = summarize_errors(errs);
      pt.rows.push_back({std::string(phase), std::to_string(s.count), percent_text(s.median_abs),
                         fmt::format("{:+.1f}%", errs[s.max_index] * 100)});
    }
    out.section.tables.push_back(std::move(pt));
  }
  const bool log = hi / lo > 20;
  const double a = log ? lo / 1.5 : 0.0, b = hi * (log ? 1.5 : 1.1);
  PlotJob job{"plot-measured.svg", "Predicted vs measured step time (s), with ±10% and ±25% bands", "",
              {{"points.dat", data}}, {700, 600}};
  job.commands = fmt::format(
      "{}set xrange [{}:{}]\nset yrange [{}:{}]\nset size ratio -1\nset xlabel \"measured step time (s)\"\n"
      "set ylabel \"predicted step time (s)\"\nset grid\nset key top left\nset samples 200\n"
      "plot x with lines lw 1.5 lc rgb \"#333333\" title \"y = x\", "
      "1.1*x with lines dt 2 lc rgb \"#2b83ba\" title \"±10%\", 0.9*x with lines dt 2 lc rgb \"#2b83ba\" notitle, "
      "1.25*x with lines dt 3 lc rgb \"#d7191c\" title \"±25%\", 0.75*x with lines dt 3 lc rgb \"#d7191c\" notitle, "
      "\"points.dat\" using 1:2:3:4:5:6 with xyerrorbars pt 7 ps 1.1 lc rgb \"#1a9641\" title \"measured points\"\n",
      log ? "set logscale xy\nset format x \"%g\"\nset format y \"%g\"\n" : "", data_number(a), data_number(b),
      data_number(a), data_number(b));
  out.plot = std::move(job);
  return out;
}

// ---- (6) memory per device ----------------------------------------------------------------

PlannedSection plan_memory(const std::vector<ResultRow>& rows) {
  PlannedSection out;
  out.section.title = "Memory per device vs experts";
  out.section.paragraphs.push_back(
      "Weights, gradients, optimizer state, activations and all-to-all buffers per device, against the device's "
      "HBM (dashed). Points above it are out of memory (OOM), shown in the table as such.");
  const auto valid = select(rows, true);
  if (auto why = experts_skip_reason(valid, "")) {
    out.section.skipped = *why;
    return out;
  }
  const auto v = varying_of(valid);
  const auto series = group_by_experts(valid, [](const ResultRow& a, const ResultRow& b) {
    return a.outputs->mem_per_device_bytes < b.outputs->mem_per_device_bytes;
  });
  out.section.tables.push_back(experts_table(series, v, experts_of(valid), "mem_per_device", [](const ResultRow& r) {
    return gib_text(r.outputs->mem_per_device_bytes) + (r.outputs->oom ? " (OOM)" : "");
  }));
  // Each panel: its cluster's HBM (dashed) and its OOM points circled.
  std::map<std::string, double> hbm;
  for (const auto* r : valid) hbm[r->cluster] = r->outputs->hbm_bytes;
  std::map<std::string, std::string> oom;
  for (const auto& [key, points] : series)
    for (const auto& [e, r] : points)
      if (r->outputs->oom)
        oom[key.cluster] += fmt::format("{} {}\n", e, data_number(r->outputs->mem_per_device_bytes / 1073741824.0));
  auto plot = experts_line_plot(
      "plot-memory.svg", "Memory per device (GiB) vs experts, with the HBM capacity, one panel per cluster",
      "memory per device (GiB)", series, v,
      [](const ResultRow& r) { return r.outputs->mem_per_device_bytes / 1073741824.0; },
      [&](const std::string& cluster) {
        std::string items = fmt::format(", {} with lines dt 2 lw 1.5 lc rgb \"#333333\" title {}",
                                        data_number(hbm[cluster] / 1073741824.0),
                                        gnuplot_quote(fmt::format("HBM ({})", gib_text(hbm[cluster]))));
        if (oom.contains(cluster))
          items += fmt::format(", \"oom-{}.dat\" using 1:2 with points pt 6 ps 2.2 lw 2 lc rgb \"red\" title \"OOM\"",
                               std::distance(oom.begin(), oom.find(cluster)));
        return items;
      },
      "set yrange [0:*]\n");
  int index = 0;
  for (const auto& [cluster, data] : oom) plot.job.data.push_back({fmt::format("oom-{}.dat", index++), data});
  add_style_note(out.section, plot, series, "memory");
  out.plot = std::move(plot.job);
  return out;
}

}  // namespace switchsim::report
