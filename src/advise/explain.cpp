#include "advise/explain.hpp"
#include "advise/text_units.hpp"

#include <fmt/format.h>

namespace switchsim::advise {
namespace {

std::string pct(double f) { return fmt::format("{:.1f}%", 100 * f); }
std::string hours(double s) { return fmt::format("{:.1f} h", s / 3600); }
std::string ksteps(double steps) { return fmt::format("{:.0f}k", steps / 1000); }

// The fastest simulated point's rejection reason among points with experts/top_k, if all are rejected.
std::string why_none(const std::vector<Candidate>& all, std::int64_t experts, std::int64_t top_k) {
  for (const auto& c : all)
    if (c.experts == experts && c.top_k == top_k && !c.feasible()) return c.rejected;
  return "not searched";
}

bool searched(const std::vector<Candidate>& all, std::int64_t experts, std::int64_t top_k) {
  for (const auto& c : all)
    if (c.experts == experts && c.top_k == top_k) return true;
  return false;
}

}  // namespace

std::string describe_point(const Candidate& c) {
  std::string text = fmt::format("{} experts, top-{}, cf {:g}, {}, batch {} tokens, {} microbatch{}", c.experts, c.top_k,
                                 c.capacity_factor, c.layout, c.batch_tokens, c.microbatches,
                                 c.microbatches == 1 ? "" : "es");
  if (!c.remat.empty()) text += ", remat " + c.remat;
  if (!c.dispatch.empty()) text += ", dispatch " + c.dispatch;
  return text;
}

const Candidate* best_with(const std::vector<Candidate>& all, std::int64_t experts, std::int64_t top_k,
                           bool by_time_to_quality) {
  const Candidate* best = nullptr;
  for (const auto& c : all) {
    if (!c.feasible() || c.experts != experts || c.top_k != top_k) continue;
    if (by_time_to_quality && !c.time_to_quality_s) continue;
    const double key = by_time_to_quality ? *c.time_to_quality_s : c.step_time_s;
    const double best_key = best ? (by_time_to_quality ? *best->time_to_quality_s : best->step_time_s) : 0;
    if (!best || key < best_key) best = &c;
  }
  return best;
}

std::string explain_capacity(const std::vector<Candidate>& all, std::size_t pick, const std::string& routing) {
  const auto& p = all[pick];
  const Candidate* lower = nullptr;
  for (const auto& c : all) {
    if (!c.simulated || c.experts != p.experts || c.top_k != p.top_k || c.layout != p.layout ||
        c.batch_tokens != p.batch_tokens || c.microbatches != p.microbatches || c.remat != p.remat ||
        c.dispatch != p.dispatch)
      continue;
    if (c.capacity_factor < p.capacity_factor && (!lower || c.capacity_factor > lower->capacity_factor)) lower = &c;
  }
  std::string text = fmt::format("cf {:g} drops {:.2f}% of tokens under {}", p.capacity_factor,
                                 100 * p.dropped_token_frac, routing);
  if (!lower) return text + ", and is the lowest capacity factor that passes.";
  text += fmt::format("; cf {:g} drops {:.2f}%", lower->capacity_factor, 100 * lower->dropped_token_frac);
  if (!lower->feasible())
    text += lower->rejected.rfind("drops", 0) == 0 ? ", over the limit" : fmt::format(" ({})", lower->rejected);
  else text += fmt::format(" and takes {}", ms(lower->step_time_s));
  return text + ".";
}

std::string explain_fastest(const std::vector<Candidate>& all, std::size_t pick) {
  const auto& p = all[pick];
  std::string text = fmt::format("{}: {} a step, the lowest of the feasible points; all-to-all is {} of the step.",
                                 describe_point(p), ms(p.step_time_s), pct(p.alltoall_share));
  if (const auto* more = best_with(all, p.experts * 2, p.top_k, false)) {
    text += fmt::format(" At {} experts the best step is {} ({:+.0f}%) with all-to-all at {}, for {:.2f}x the parameters.",
                        more->experts, ms(more->step_time_s), 100 * (more->step_time_s / p.step_time_s - 1),
                        pct(more->alltoall_share), static_cast<double>(more->params) / static_cast<double>(p.params));
  } else if (searched(all, p.experts * 2, p.top_k)) {
    text += fmt::format(" {} experts has no feasible point ({}).", p.experts * 2, why_none(all, p.experts * 2, p.top_k));
  }
  return text;
}

std::string explain_most_params(const std::vector<Candidate>& all, std::size_t pick, double max_step_time_s) {
  const auto& p = all[pick];
  std::string text = fmt::format("{}: {:.2f}B parameters at {} a step, within the {} limit; {} of device memory stays free.",
                                 describe_point(p), static_cast<double>(p.params) / 1e9, ms(p.step_time_s), ms(max_step_time_s),
                                 pct(p.headroom_frac));
  std::int64_t next = 0;
  for (const auto& c : all)
    if (c.params > p.params && (next == 0 || c.experts < next) && c.top_k == p.top_k) next = c.experts;
  if (next == 0) return text + " No larger configuration was searched.";
  if (const auto* more = best_with(all, next, p.top_k, false))
    return text + fmt::format(" The next larger, {} experts, needs {} at best ({} all-to-all).", next,
                              ms(more->step_time_s), pct(more->alltoall_share));
  return text + fmt::format(" The next larger, {} experts, has no feasible point ({}).", next, why_none(all, next, p.top_k));
}

std::string explain_time_to_quality(const std::vector<Candidate>& all, std::size_t pick, const SampleEfficiency& se) {
  const auto& p = all[pick];
  std::string text = fmt::format(
      "{}: an estimated {} steps to the quality target x {} = {} (estimate: published sample-efficiency curve x "
      "simulated step time).",
      describe_point(p), ksteps(*p.steps_to_quality), ms(p.step_time_s), hours(*p.time_to_quality_s));
  if (p.time_to_quality_extrapolated)
    text += fmt::format(" The curve was read at a batch of {} tokens; at {} the steps are scaled by {}/{} (constant "
                        "tokens to quality): an extrapolation, optimistic above the critical batch size.",
                        se.batch_tokens, p.batch_tokens, se.batch_tokens, p.batch_tokens);
  if (p.dense_step_time_s)
  {
    const double dense_steps = se.dense_steps * static_cast<double>(se.batch_tokens) / static_cast<double>(p.batch_tokens);
    text += fmt::format(" The dense baseline: {} x {} = {}.", ksteps(dense_steps), ms(*p.dense_step_time_s),
                        hours(dense_steps * *p.dense_step_time_s));
  }
  if (const auto* more = best_with(all, p.experts * 2, p.top_k, true)) {
    text += fmt::format(" At {} experts: {} steps x {} = {} (all-to-all {} of the step); past {}, more experts cost more "
                        "time than they give.",
                        more->experts, ksteps(*more->steps_to_quality), ms(more->step_time_s),
                        hours(*more->time_to_quality_s), pct(more->alltoall_share), p.experts);
  } else if (searched(all, p.experts * 2, p.top_k)) {
    text += fmt::format(" {} experts has no feasible point ({}).", p.experts * 2, why_none(all, p.experts * 2, p.top_k));
  } else {
    text += fmt::format(" {} experts is the largest count searched (--max-experts; the sample-efficiency file stops at {}).",
                        p.experts, se.points.back().experts);
  }
  return text;
}

}  // namespace switchsim::advise
