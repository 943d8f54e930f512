#include "report/ranking.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "report/number_text.hpp"

namespace switchsim::report {

std::vector<Ranking> rank_configurations(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve) {
  std::map<std::pair<std::string, std::string>, Ranking> by_scenario;
  const double limit = curve ? curve->max_dropped_frac : 0.01;
  for (const auto& r : rows) {
    auto& ranking = by_scenario[{r.cluster, r.routing}];
    ranking.cluster = r.cluster;
    ranking.routing = r.routing;
    if (!r.usable()) {
      ++ranking.not_fitting;
      continue;
    }
    if (r.outputs->dropped_token_frac > limit) {
      ++ranking.too_many_drops;
      continue;
    }
    RankedConfig c{&r, std::nullopt};
    if (curve) {
      const auto steps = curve->steps_to_quality ? curve->steps_to_quality(r.experts, r.top_k) : std::nullopt;
      if (!steps) {
        ++ranking.outside_curve;
        continue;
      }
      c.time_to_quality_s = *steps * r.outputs->step_time_s;
    }
    ranking.ranked.push_back(c);
  }
  std::vector<Ranking> out;
  for (auto& [key, ranking] : by_scenario) {
    std::stable_sort(ranking.ranked.begin(), ranking.ranked.end(), [](const RankedConfig& a, const RankedConfig& b) {
      const double ta = a.time_to_quality_s.value_or(a.row->outputs->step_time_s);
      const double tb = b.time_to_quality_s.value_or(b.row->outputs->step_time_s);
      if (ta != tb) return ta < tb;
      return a.row->outputs->tokens_per_s > b.row->outputs->tokens_per_s;
    });
    out.push_back(std::move(ranking));
  }
  return out;
}

namespace {

std::string hours_text(double seconds) {
  const double h = seconds / 3600.0;
  return h >= 100 ? fmt::format("{:.0f} h", h) : h >= 10 ? fmt::format("{:.1f} h", h) : fmt::format("{:.2f} h", h);
}

std::string config_text(const ResultRow& r, bool with_layout) {
  std::string s = fmt::format("E={} cf={}", r.experts, factor_text(r.capacity_factor));
  if (r.top_k != 1) s += fmt::format(" top-{}", r.top_k);
  if (r.padding != "capacity") s += " " + r.padding;
  if (with_layout) s += " " + r.layout;
  return s;
}


}  // namespace

Section ranking_section(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve,
                        std::size_t shown) {
  Section s;
  s.title = "Which configuration?";
  const auto rankings = rank_configurations(rows, curve);
  std::set<std::string> layouts;
  for (const auto& r : rows) layouts.insert(r.layout);
  const double limit = curve ? curve->max_dropped_frac : 0.01;
  if (curve) {
    s.paragraphs.push_back(fmt::format(
        "Configurations ranked by the estimated time to reach {} ({} family): steps to that quality from "
        "published sample-efficiency curves ({}) times the simulated step time. Beside it: the step time, tokens/s, "
        "the fraction of tokens dropped and the memory per device.",
        curve->quality_target, curve->family, curve->source));
  } else {
    s.paragraphs.push_back(
        "No sample-efficiency data for this model family (models/sample-efficiency/<family>.json), so there is no "
        "time-to-quality estimate: configurations are ranked by step time only. Throughput is not quality: more "
        "experts reach a given quality in fewer steps (Fedus et al. 2021, Figure 4), which this ranking cannot see.");
  }
  s.paragraphs.push_back(fmt::format(
      "Ranked: valid points that fit in memory and drop at most {} of their tokens. The curves come from training "
      "that drops few tokens; a point that drops more (low capacity factors, skewed routing) would be credited with "
      "a quality it does not reach, so it is not ranked. The routing skew is a property of the data, not a choice: "
      "one ranking per cluster and skew.",
      percent_text(limit)));
  if (curve) {
    std::set<std::int64_t> batches;
    for (const auto& r : rows) batches.insert(r.batch_tokens);
    std::string caveats = "Caveats: " + curve->caveat + ".";
    if (!curve->top2_note.empty()) caveats += " Top-2: " + curve->top2_note + ".";
    caveats += fmt::format(
        " The steps are the paper's, at its batch size; this sweep's batch is {} tokens, and the estimate uses the "
        "same number of steps whatever the batch, capacity factor or cluster. Treat differences under about 30% as "
        "ties.",
        [&] {
          std::string t;
          for (auto b : batches) t += (t.empty() ? "" : ", ") + std::to_string(b);
          return t;
        }());
    s.paragraphs.push_back(caveats);
  }
  for (const auto& ranking : rankings) {
    Table t;
    t.header = {"rank", ranking.cluster + ", " + ranking.routing, curve ? "time to quality (est.)" : "",
                "step_time_s", "tokens_per_s", "dropped_token_frac", "mem_per_device"};
    if (!curve) t.header.erase(t.header.begin() + 2);
    const bool with_layout = layouts.size() > 1;
    for (std::size_t i = 0; i < ranking.ranked.size() && i < shown; ++i) {
      const auto& c = ranking.ranked[i];
      const auto& o = *c.row->outputs;
      std::vector<std::string> row{std::to_string(i + 1), config_text(*c.row, with_layout)};
      if (c.time_to_quality_s) row.push_back(hours_text(*c.time_to_quality_s));
      row.push_back(number_text(o.step_time_s));
      row.push_back(number_text(o.tokens_per_s));
      row.push_back(percent_text(o.dropped_token_frac));
      row.push_back(gib_text(o.mem_per_device_bytes) + " of " + gib_text(o.hbm_bytes));
      t.rows.push_back(std::move(row));
    }
    if (t.rows.empty()) {
      std::vector<std::string> row(t.header.size());
      row[0] = "–";
      row[1] = "no configuration qualifies";
      t.rows.push_back(std::move(row));
    }
    s.tables.push_back(std::move(t));
    std::vector<std::string> left;
    if (ranking.ranked.size() > shown) left.push_back(fmt::format("{} more ranked", ranking.ranked.size() - shown));
    if (ranking.too_many_drops)
      left.push_back(fmt::format("{} dropping more than {} of tokens", ranking.too_many_drops, percent_text(limit)));
    if (ranking.outside_curve)
      left.push_back(fmt::format("{} with an expert count or top-k the curve does not cover", ranking.outside_curve));
    if (ranking.not_fitting) left.push_back(fmt::format("{} invalid or out of memory", ranking.not_fitting));
    if (!left.empty()) {
      std::string text;
      for (const auto& l : left) text += (text.empty() ? "" : "; ") + l;
      s.paragraphs.push_back(fmt::format("{}, {} routing: not shown: {}.", ranking.cluster, ranking.routing, text));
    }
  }
  return s;
}

std::vector<std::string> ranking_sentences(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve) {
  std::vector<std::string> out;
  const double limit = curve ? curve->max_dropped_frac : 0.01;
  for (const auto& ranking : rank_configurations(rows, curve)) {
    const std::string where = fmt::format("On {} with {} routing", ranking.cluster, ranking.routing);
    if (ranking.ranked.empty()) {
      out.push_back(fmt::format("{}, no configuration fits in memory while dropping at most {} of its tokens{}.",
                                where, percent_text(limit),
                                ranking.too_many_drops ? " (a skew the capacity factors swept cannot absorb)" : ""));
      continue;
    }
    const auto& c = ranking.ranked.front();
    const auto& r = *c.row;
    const auto& o = *r.outputs;
    const std::string what = fmt::format("{} with {} experts at capacity factor {}{} ({})", r.model, r.experts,
                                         factor_text(r.capacity_factor),
                                         r.top_k != 1 ? fmt::format(", top-{}", r.top_k) : "", r.layout);
    if (c.time_to_quality_s)
      out.push_back(fmt::format("{}, the first to the quality target is {}: about {} (estimated), {} s per step, {} "
                                "tokens/s, {} of tokens dropped, {} per device.",
                                where, what, hours_text(*c.time_to_quality_s), number_text(o.step_time_s),
                                number_text(o.tokens_per_s), percent_text(o.dropped_token_frac),
                                gib_text(o.mem_per_device_bytes)));
    else
      out.push_back(fmt::format("{}, the shortest step among points dropping at most {} of tokens is {}: {} s per "
                                "step, {} tokens/s, {} per device (no quality estimate).",
                                where, percent_text(limit), what, number_text(o.step_time_s),
                                number_text(o.tokens_per_s), gib_text(o.mem_per_device_bytes)));
  }
  return out;
}

}  // namespace switchsim::report
