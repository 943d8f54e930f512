#pragma once
// Checked size arithmetic: THE helper for products and sums of sizes (elements, rows,
// parameters, bytes, endpoints). Every such product in the simulator goes through here, so a
// size beyond 64 bits is an OverflowError naming what was being computed, never a wrapped
// (negative or small) number that flows on into a plausible-looking wrong answer.
//
//   size_product("activation bytes", {tokens, d_model, bytes_per_element})
//     = tokens * d_model * bytes_per_element, or throws OverflowError("activation bytes ...").

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "units/units.hpp"

namespace switchsim {

inline std::int64_t size_product(std::string_view what, std::initializer_list<std::int64_t> factors) {
  std::int64_t out = 1;
  for (std::int64_t f : factors)
    if (__builtin_mul_overflow(out, f, &out))
      throw OverflowError(std::string(what) + " exceeds the 64-bit range (a product of sizes overflows)");
  return out;
}

inline std::int64_t size_sum(std::string_view what, std::initializer_list<std::int64_t> terms) {
  std::int64_t out = 0;
  for (std::int64_t t : terms)
    if (__builtin_add_overflow(out, t, &out))
      throw OverflowError(std::string(what) + " exceeds the 64-bit range (a sum of sizes overflows)");
  return out;
}

}  // namespace switchsim
