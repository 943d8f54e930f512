#include "ref/cuda/phase_stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace switchsim::ref::cuda {

double percentile(std::span<const double> s, double q) {
  if (s.empty() || q < 0 || q > 1) throw std::invalid_argument("percentile: need samples and 0 <= q <= 1");
  const double pos = q * static_cast<double>(s.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo));
}

TimingStats timing_stats(std::span<const double> samples) {
  std::vector<double> s(samples.begin(), samples.end());
  std::sort(s.begin(), s.end());
  TimingStats t;
  t.repeats = static_cast<std::int64_t>(s.size());
  if (s.empty()) return t;
  t.median_s = percentile(s, 0.5);
  t.p10_s = percentile(s, 0.1);
  t.p90_s = percentile(s, 0.9);
  return t;
}

}  // namespace switchsim::ref::cuda
