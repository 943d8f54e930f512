#pragma once
// --seed accepts only 0..2^64-1 written in decimal digits: "-1", "2^64", "0x10", "1e3" and " 7"
// are errors (CLI11 alone would wrap -1 and 2^64 to 2^64-1, a different seed than the one typed).

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <string>

namespace switchsim::cli {

inline CLI::Validator decimal_seed() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (!digits || ec != std::errc() || end != text.data() + text.size())
          return "must be an integer from 0 to 18446744073709551615 in decimal digits, got '" + text + "'";
        return "";
      },
      "UINT64");
}

}  // namespace switchsim::cli
