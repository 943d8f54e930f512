#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace switchsim {

enum class DType { fp32, tf32, bf16 };

// Bytes per element as stored in memory (tf32 is stored as fp32).
constexpr std::int64_t dtype_bytes(DType t) { return t == DType::bf16 ? 2 : 4; }
std::string_view dtype_name(DType t);
// Throws std::invalid_argument for anything but fp32, tf32, bf16.
DType parse_dtype(std::string_view text);

}  // namespace switchsim
