#include "config/dtype.hpp"

#include <stdexcept>

namespace switchsim {

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::fp32: return "fp32";
    case DType::tf32: return "tf32";
    case DType::bf16: return "bf16";
  }
  return "?";
}

DType parse_dtype(std::string_view text) {
  if (text == "fp32") return DType::fp32;
  if (text == "tf32") return DType::tf32;
  if (text == "bf16") return DType::bf16;
  throw std::invalid_argument("unknown dtype '" + std::string(text) + "' (use fp32, tf32 or bf16)");
}

}  // namespace switchsim
