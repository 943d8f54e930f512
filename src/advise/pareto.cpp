#include "advise/pareto.hpp"

namespace switchsim::advise {

bool dominates(const Objectives& a, const Objectives& b) {
  const bool no_worse = a.step_time_s <= b.step_time_s && a.params >= b.params && a.headroom_frac >= b.headroom_frac;
  const bool better = a.step_time_s < b.step_time_s || a.params > b.params || a.headroom_frac > b.headroom_frac;
  return no_worse && better;
}

std::vector<std::size_t> pareto_frontier(const std::vector<Objectives>& points) {
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (std::size_t j = 0; j < points.size() && !dominated; ++j) dominated = j != i && dominates(points[j], points[i]);
    if (!dominated) front.push_back(i);
  }
  return front;
}

}  // namespace switchsim::advise
