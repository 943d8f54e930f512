#pragma once
// Small additions to config::ObjectReader for result rows, whose numbers may be zero
// (a phase that did not run, no dropped tokens) and whose flags are required.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/object_reader.hpp"

namespace switchsim::report::detail {

// A required finite number >= 0.
double non_negative_number(config::ObjectReader& reader, std::string_view key);
// A required finite number > 0.
double positive_number(config::ObjectReader& reader, std::string_view key);
// A required true/false.
bool boolean(config::ObjectReader& reader, std::string_view key);
// A required integer >= 0 that fits in 64 bits unsigned (seeds).
std::uint64_t unsigned_int(config::ObjectReader& reader, std::string_view key);
// A string that may be empty; missing gives "".
std::string any_string_or_empty(config::ObjectReader& reader, std::string_view key);

}  // namespace switchsim::report::detail
