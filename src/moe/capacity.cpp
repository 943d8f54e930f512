#include "moe/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace switchsim::moe {

std::int64_t expert_capacity(const CapacityArgs& a) {
  if (a.tokens < 0 || a.experts <= 0 || a.top_k <= 0 || a.min_capacity < 0 || !(a.capacity_factor > 0) ||
      !std::isfinite(a.capacity_factor))
    throw std::invalid_argument(
        "expert capacity needs tokens >= 0, experts > 0, top_k > 0, min_capacity >= 0 and a finite capacity factor > 0");
  const double exact = a.capacity_factor * static_cast<double>(a.top_k) * static_cast<double>(a.tokens) /
                       static_cast<double>(a.experts);
  // Subtract a hair before ceil so that 1.25 * 64 / 8 = 10.000000000000002 gives 10, not 11.
  const double rounded = std::ceil(exact - 1e-9);
  if (!(rounded < 9.2e18)) throw std::invalid_argument("expert capacity exceeds the int64 range");
  return std::max(static_cast<std::int64_t>(rounded), a.min_capacity);
}

}  // namespace switchsim::moe
