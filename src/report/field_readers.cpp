#include "report/field_readers.hpp"

#include <cmath>

namespace switchsim::report::detail {

double non_negative_number(config::ObjectReader& reader, std::string_view key) {
  const auto& value = reader.raw(key);
  if (!value.is_number()) reader.fail(key, "must be a number, got " + config::describe_value(value));
  const double v = value.get<double>();
  if (!std::isfinite(v) || v < 0.0)
    reader.fail(key, "must be a non-negative number, got " + config::describe_value(value));
  return v;
}

double positive_number(config::ObjectReader& reader, std::string_view key) {
  const double v = non_negative_number(reader, key);
  if (!(v > 0.0)) reader.fail(key, "must be a positive number, got 0");
  return v;
}

bool boolean(config::ObjectReader& reader, std::string_view key) {
  const auto& value = reader.raw(key);
  if (!value.is_boolean()) reader.fail(key, "must be true or false, got " + config::describe_value(value));
  return value.get<bool>();
}

std::uint64_t unsigned_int(config::ObjectReader& reader, std::string_view key) {
  const auto& value = reader.raw(key);
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  reader.fail(key, "must be a non-negative integer, got " + config::describe_value(value));
}

std::string any_string_or_empty(config::ObjectReader& reader, std::string_view key) {
  if (!reader.has(key)) return "";
  const auto& value = reader.raw(key);
  if (!value.is_string()) reader.fail(key, "must be a string, got " + config::describe_value(value));
  return value.get<std::string>();
}

}  // namespace switchsim::report::detail
