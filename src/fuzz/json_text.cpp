#include "fuzz/json_text.hpp"

#include <string>

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

std::string json_object_of_keys(std::size_t n, std::string_view value) {
  std::string text;
  text.reserve(n * (value.size() + 12) + 2);
  text += '{';
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) text += ',';
    text += "\"k";
    text += std::to_string(i);
    text += "\":";
    text += value;
  }
  text += '}';
  return text;
}

}  // namespace switchsim::fuzz
