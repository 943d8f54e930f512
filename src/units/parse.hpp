#pragma once
#include <string_view>

#include "units/units.hpp"

namespace switchsim {

// Parses a size such as "8", "1K", "64M", "1G", "2GiB" (binary multiples, as nccl-tests
// reads -b/-e). Throws std::invalid_argument with the offending text on anything else.
Bytes parse_bytes(std::string_view text);

}  // namespace switchsim
