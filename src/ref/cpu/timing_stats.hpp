#pragma once
// Median and p10/p90 of repeated timings (linear interpolation between order statistics).

#include <vector>

#include "ref/measurement.hpp"

namespace switchsim::ref::cpu {

// Quantile q in [0, 1] of `values` (need not be sorted; must not be empty).
double quantile(std::vector<double> values, double q);
TimingStats summarize(const std::vector<double>& seconds);

}  // namespace switchsim::ref::cpu
