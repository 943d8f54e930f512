#pragma once
// fmt formatters that print a unit with every quantity. Sizes use binary prefixes (GiB, as
// memory is sold); rates use decimal prefixes (GB/s, TFLOP/s, as datasheets and nccl-tests do).

#include <fmt/format.h>

#include <array>
#include <span>
#include <cmath>
#include <string>

#include "units/units.hpp"

namespace switchsim {

// Formats `value` scaled by the largest prefix not exceeding it, e.g. 1.5e-3 s -> "1.500 ms".
std::string format_time(Picoseconds t);
std::string format_bytes(Bytes b);
std::string format_rate(BytesPerSecond r);
std::string format_flops(Flops f);
std::string format_flop_rate(FlopsPerSecond r);

}  // namespace switchsim

template <>
struct fmt::formatter<switchsim::Picoseconds> : fmt::formatter<std::string> {
  auto format(switchsim::Picoseconds v, format_context& ctx) const {
    return fmt::formatter<std::string>::format(switchsim::format_time(v), ctx);
  }
};
template <>
struct fmt::formatter<switchsim::Bytes> : fmt::formatter<std::string> {
  auto format(switchsim::Bytes v, format_context& ctx) const {
    return fmt::formatter<std::string>::format(switchsim::format_bytes(v), ctx);
  }
};
template <>
struct fmt::formatter<switchsim::BytesPerSecond> : fmt::formatter<std::string> {
  auto format(switchsim::BytesPerSecond v, format_context& ctx) const {
    return fmt::formatter<std::string>::format(switchsim::format_rate(v), ctx);
  }
};
template <>
struct fmt::formatter<switchsim::Flops> : fmt::formatter<std::string> {
  auto format(switchsim::Flops v, format_context& ctx) const {
    return fmt::formatter<std::string>::format(switchsim::format_flops(v), ctx);
  }
};
template <>
struct fmt::formatter<switchsim::FlopsPerSecond> : fmt::formatter<std::string> {
  auto format(switchsim::FlopsPerSecond v, format_context& ctx) const {
    return fmt::formatter<std::string>::format(switchsim::format_flop_rate(v), ctx);
  }
};
