#include "units/parse.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

namespace switchsim {

Bytes parse_bytes(std::string_view text) {
  const std::string original(text);
  std::int64_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0)
    throw std::invalid_argument("not a size: '" + original + "' (expected e.g. 8, 1K, 64M, 1G)");
  std::string_view suffix(ptr, static_cast<std::size_t>(end - ptr));
  if (suffix.ends_with("iB")) suffix.remove_suffix(2);
  else if (suffix.ends_with("B") && suffix.size() == 2) suffix.remove_suffix(1);
  int shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K" || suffix == "k") shift = 10;
  else if (suffix == "M") shift = 20;
  else if (suffix == "G") shift = 30;
  else if (suffix == "T") shift = 40;
  else throw std::invalid_argument("unknown size suffix in '" + original + "' (use K, M, G or T)");
  return Bytes(value) * (std::int64_t{1} << shift);
}

}  // namespace switchsim
