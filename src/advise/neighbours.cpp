#include "advise/neighbours.hpp"
#include "advise/text_units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

namespace switchsim::advise {
namespace {

constexpr std::array<const char*, 8> kAxes{"experts",      "top_k",        "capacity_factor", "layout",
                                           "batch_tokens", "microbatches", "remat",           "dispatch"};

std::string value_of(const Candidate& c, std::string_view axis) {
  if (axis == "experts") return std::to_string(c.experts);
  if (axis == "top_k") return std::to_string(c.top_k);
  if (axis == "capacity_factor") return fmt::format("{:g}", c.capacity_factor);
  if (axis == "layout") return c.layout;
  if (axis == "batch_tokens") return std::to_string(c.batch_tokens);
  if (axis == "microbatches") return std::to_string(c.microbatches);
  if (axis == "remat") return c.remat;
  return c.dispatch;
}

// Numeric axes order by value; the others by first appearance in the search.
std::optional<double> number_of(const Candidate& c, std::string_view axis) {
  if (axis == "experts") return static_cast<double>(c.experts);
  if (axis == "top_k") return static_cast<double>(c.top_k);
  if (axis == "capacity_factor") return c.capacity_factor;
  if (axis == "batch_tokens") return static_cast<double>(c.batch_tokens);
  if (axis == "microbatches") return static_cast<double>(c.microbatches);
  return std::nullopt;
}

bool same_except(const Candidate& a, const Candidate& b, std::string_view axis) {
  for (const char* other : kAxes)
    if (other != axis && value_of(a, other) != value_of(b, other)) return false;
  return true;
}


std::string why_not(const Candidate& c, const Candidate& p, const std::string& goal, double max_step_time_s) {
  if (!c.feasible()) return c.rejected;
  const double slower = 100 * (c.step_time_s / p.step_time_s - 1);
  if (goal == "most_params") {
    if (c.step_time_s > max_step_time_s) return fmt::format("{} a step, over the {} limit", ms(c.step_time_s), ms(max_step_time_s));
    if (c.params < p.params)
      return fmt::format("fewer parameters: {:.2f}B against {:.2f}B", static_cast<double>(c.params) / 1e9,
                         static_cast<double>(p.params) / 1e9);
    return fmt::format("as many parameters, {} a step ({:+.0f}%)", ms(c.step_time_s), slower);
  }
  if (goal == "time_to_quality") {
    if (!c.time_to_quality_s) return "no time-to-quality estimate (expert count outside the sample-efficiency file)";
    return fmt::format("estimated {:.1f} h to quality against {:.1f} h ({:+.0f}%)", *c.time_to_quality_s / 3600,
                       *p.time_to_quality_s / 3600, 100 * (*c.time_to_quality_s / *p.time_to_quality_s - 1));
  }
  return fmt::format("{} a step against {} ({:+.0f}%)", ms(c.step_time_s), ms(p.step_time_s), slower);
}

}  // namespace

std::vector<Neighbour> neighbours(const std::vector<Candidate>& all, std::size_t pick, const std::string& goal,
                                  double max_step_time_s, const Limits& limits) {
  const auto& p = all[pick];
  std::vector<Neighbour> out;
  for (const char* axis : kAxes) {
    // Points that differ from the pick on this axis only, one per value (the first searched).
    std::vector<std::size_t> same;
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i == pick || !same_except(all[i], p, axis)) continue;
      const auto v = value_of(all[i], axis);
      if (v == value_of(p, axis) || std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
      seen.push_back(v);
      same.push_back(i);
    }
    std::optional<std::size_t> below, above;
    const auto pv = number_of(p, axis);
    if (pv) {
      for (auto i : same) {
        const double v = *number_of(all[i], axis);
        if (v < *pv && (!below || v > *number_of(all[*below], axis))) below = i;
        if (v > *pv && (!above || v < *number_of(all[*above], axis))) above = i;
      }
    } else {
      // Search order: the nearest point searched before the pick and the nearest after it.
      for (auto i : same) {
        if (i < pick) below = i;
        if (i > pick && !above) above = i;
      }
    }
    if (std::string_view(axis) == "microbatches" && !below && p.fewer_microbatches_memory_bytes > 0) {
      const double allowed = p.memory_capacity_bytes * (1.0 - limits.memory_headroom);
      out.push_back({axis, std::to_string(p.microbatches / 2), std::nullopt,
                     fmt::format("needs {:.1f} GiB, over the {:.1f} GiB allowed (computed before simulating)",
                                 p.fewer_microbatches_memory_bytes / kGiB, allowed / kGiB)});
    }
    for (auto i : {below, above})
      if (i) out.push_back({axis, value_of(all[*i], axis), *i, why_not(all[*i], p, goal, max_step_time_s)});
  }
  return out;
}

}  // namespace switchsim::advise
