#include "fuzz/json_text.hpp"

namespace switchsim::fuzz {

std::string json_array_of(std::size_t n, std::string_view element) {
  std::string text;
  text.reserve(n * (element.size() + 1) + 2);
  text += '[';
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) text += ',';
    text += element;
  }
  text += ']';
  return text;
}

}  // namespace switchsim::fuzz
