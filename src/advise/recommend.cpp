#include "advise/recommend.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "advise/explain.hpp"
#include "advise/pareto.hpp"

namespace switchsim::advise {

Advice recommend(std::vector<Candidate> candidates, std::optional<double> max_step_time_s,
                 const SampleEfficiency* efficiency, const std::string& routing, const Limits& limits) {
  Advice a;
  a.candidates = std::move(candidates);
  const auto& all = a.candidates;
  std::vector<std::size_t> feasible;
  std::map<std::string, std::int64_t> reasons;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].feasible()) {
      feasible.push_back(i);
    } else {
      reasons[all[i].rejected_kind] += 1;
    }
  }
  if (feasible.empty()) {
    std::string why;
    for (const auto& [reason, count] : reasons) why += fmt::format("{}{} {}", why.empty() ? "" : ", ", count, reason);
    // The nearest miss on dropped tokens, so the user knows which limit to relax.
    const Candidate* least_drop = nullptr;
    for (const auto& c : all)
      if (c.rejected_kind == "too many dropped tokens" && (!least_drop || c.dropped_token_frac < least_drop->dropped_token_frac))
        least_drop = &c;
    if (least_drop)
      why += fmt::format("; the fewest dropped tokens, {:.2f}%, at {} experts cf {:g}: raise --max-drop-frac or the capacity factors",
                         100 * least_drop->dropped_token_frac, least_drop->experts, least_drop->capacity_factor);
    throw NoFeasiblePoint(fmt::format("no feasible configuration among {} points ({})", all.size(), why));
  }

  std::vector<Objectives> objectives;
  for (auto i : feasible)
    objectives.push_back({all[i].step_time_s, static_cast<double>(all[i].params), all[i].headroom_frac});
  for (auto k : pareto_frontier(objectives)) a.frontier.push_back(feasible[k]);
  std::stable_sort(a.frontier.begin(), a.frontier.end(),
                   [&](auto x, auto y) { return all[x].step_time_s < all[y].step_time_s; });

  // Ties keep the earlier point in search order, so the advice is deterministic.
  auto pick_min = [&](auto key, auto allowed) {
    std::optional<std::size_t> best;
    for (auto i : feasible)
      if (allowed(all[i]) && (!best || key(all[i]) < key(all[*best]))) best = i;
    return best;
  };
  const auto fastest = *pick_min([](const Candidate& c) { return c.step_time_s; }, [](const Candidate&) { return true; });
  a.max_step_time_default = !max_step_time_s.has_value();
  a.max_step_time_s = max_step_time_s.value_or(kDefaultStepTimeMultiple * all[fastest].step_time_s);

  Recommendation r1{"fastest_step", "Fastest step", fastest, {}, {}};
  r1.reasons = {explain_fastest(all, fastest), explain_capacity(all, fastest, routing)};
  a.recommendations.push_back(std::move(r1));

  const double limit = a.max_step_time_s;
  const auto most = pick_min(
      [](const Candidate& c) { return std::make_pair(-static_cast<double>(c.params), c.step_time_s); },
      [limit](const Candidate& c) { return c.step_time_s <= limit; });
  Recommendation r2{"most_params",
                    fmt::format("Most parameters within {:.1f} ms a step{}", limit * 1e3,
                                a.max_step_time_default ? " (default: 2x the fastest step)" : ""),
                    most,
                    {},
                    {}};
  if (most) r2.reasons = {explain_most_params(all, *most, limit), explain_capacity(all, *most, routing)};
  else r2.reasons = {fmt::format("No feasible point steps within {:.1f} ms; the fastest takes {:.1f} ms.", limit * 1e3,
                                 all[fastest].step_time_s * 1e3)};
  a.recommendations.push_back(std::move(r2));

  Recommendation r3{"time_to_quality", "Best estimated time to quality", std::nullopt, {}, {}};
  if (!efficiency) {
    r3.reasons = {"No sample-efficiency data for this family; pass --sample-efficiency FILE."};
  } else {
    r3.pick = pick_min([](const Candidate& c) { return *c.time_to_quality_s; },
                       [](const Candidate& c) { return c.time_to_quality_s.has_value(); });
    if (r3.pick) {
      r3.reasons = {explain_time_to_quality(all, *r3.pick, *efficiency), explain_capacity(all, *r3.pick, routing)};
      const bool top2_searched = std::any_of(all.begin(), all.end(), [](const Candidate& c) { return c.top_k == 2; });
      if (efficiency->top2_same_as_top1 && top2_searched) r3.reasons.push_back("Top-2 points: " + efficiency->top2_reason + ".");
    } else {
      r3.reasons = {"No feasible point has an expert count inside the sample-efficiency file's range."};
    }
  }
  a.recommendations.push_back(std::move(r3));
  for (auto& r : a.recommendations)
    if (r.pick) r.neighbours = neighbours(all, *r.pick, r.goal, a.max_step_time_s, limits);
  return a;
}

}  // namespace switchsim::advise
