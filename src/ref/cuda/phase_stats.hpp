#pragma once
// Repeated timings -> median, p10, p90 (linear interpolation between order statistics,
// position q*(n-1), as numpy.percentile's default).

#include <span>

#include "ref/measurement.hpp"

namespace switchsim::ref::cuda {

double percentile(std::span<const double> sorted_samples, double q);
TimingStats timing_stats(std::span<const double> samples);

}  // namespace switchsim::ref::cuda
