#pragma once
// The Pareto frontier of points scored on several objectives. A point is on the frontier when
// no other point is at least as good on every objective and strictly better on one.

#include <cstddef>
#include <vector>

namespace switchsim::advise {

// What advise trades off: step time (lower is better), parameters and memory headroom
// (higher is better).
struct Objectives {
  double step_time_s = 0;
  double params = 0;
  double headroom_frac = 0;  // free fraction of device memory
};

// True when `a` dominates `b`.
bool dominates(const Objectives& a, const Objectives& b);

// Indices of the non-dominated points, in input order. Identical points are all kept.
std::vector<std::size_t> pareto_frontier(const std::vector<Objectives>& points);

}  // namespace switchsim::advise
