#include "validate/paired_schedule.hpp"

#include <algorithm>
#include <stdexcept>

namespace switchsim::validate {

PairedShapes pair_shapes_with_configs(const std::vector<std::vector<std::size_t>>& uses, std::size_t shapes) {
  std::vector<bool> taken(shapes, false);
  PairedShapes p;
  p.per_config.resize(uses.size());
  for (std::size_t c = 0; c < uses.size(); ++c) {
    for (const std::size_t s : uses[c]) {
      if (s >= shapes) throw std::out_of_range("a config's calibration shape lies outside the plan");
      if (taken[s]) continue;
      taken[s] = true;
      p.per_config[c].push_back(s);
    }
    std::sort(p.per_config[c].begin(), p.per_config[c].end());
  }
  for (std::size_t s = 0; s < shapes; ++s)
    if (!taken[s]) p.rest.push_back(s);
  return p;
}

}  // namespace switchsim::validate
