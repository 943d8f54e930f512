#include "ref/cpu/timing_stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace switchsim::ref::cpu {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) throw std::invalid_argument("quantile of no values");
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double w = pos - static_cast<double>(lo);
  return values[lo] * (1.0 - w) + values[hi] * w;
}

TimingStats summarize(const std::vector<double>& seconds) {
  TimingStats t;
  t.repeats = static_cast<std::int64_t>(seconds.size());
  if (seconds.empty()) return t;
  t.median_s = quantile(seconds, 0.5);
  t.p10_s = quantile(seconds, 0.1);
  t.p90_s = quantile(seconds, 0.9);
  return t;
}

}  // namespace switchsim::ref::cpu
