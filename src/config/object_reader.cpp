#include "config/object_reader.hpp"

#include <cmath>

namespace switchsim::config {

std::string describe_value(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::null: return "null";
    default: {
      std::string text = value.dump();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      return text;
    }
  }
}

ObjectReader::ObjectReader(const nlohmann::json& object, std::string file, std::string pointer)
    : object_(object), file_(std::move(file)), pointer_(std::move(pointer)) {
  if (!object_.is_object())
    throw ConfigError(file_, pointer_.empty() ? "/" : pointer_, "must be a JSON object, got " + describe_value(object_));
}

std::string ObjectReader::pointer_to(std::string_view key) const {
  // JSON pointer escaping (RFC 6901): ~ -> ~0, / -> ~1.
  std::string escaped;
  for (char c : key) {
    if (c == '~') escaped += "~0";
    else if (c == '/') escaped += "~1";
    else escaped += c;
  }
  return pointer_ + "/" + escaped;
}

void ObjectReader::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(file_, pointer_to(key), message);
}

const nlohmann::json& ObjectReader::require(std::string_view key) {
  const auto it = object_.find(key);
  if (it == object_.end()) fail(key, "required field is missing");
  read_.emplace(key);
  return *it;
}

const nlohmann::json& ObjectReader::raw(std::string_view key) { return require(key); }

std::int64_t ObjectReader::as_int(const std::string& pointer, const nlohmann::json& value) const {
  if (value.is_number_unsigned()) {
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      throw ConfigError(file_, pointer, "integer is too large");
    return static_cast<std::int64_t>(value.get<std::uint64_t>());
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (std::isfinite(d) && d == std::floor(d)) {
      if (std::fabs(d) >= 9.0e15) throw ConfigError(file_, pointer, "integer is too large");
      return static_cast<std::int64_t>(d);
    }
  }
  throw ConfigError(file_, pointer, "must be an integer, got " + describe_value(value));
}

double ObjectReader::as_number(const std::string& pointer, const nlohmann::json& value) const {
  if (!value.is_number()) throw ConfigError(file_, pointer, "must be a number, got " + describe_value(value));
  const double d = value.get<double>();
  if (!std::isfinite(d)) throw ConfigError(file_, pointer, "must be a finite number, got " + describe_value(value));
  return d;
}

std::int64_t ObjectReader::positive_int(std::string_view key) {
  const auto& value = require(key);
  const std::int64_t v = as_int(pointer_to(key), value);
  if (v <= 0) fail(key, "must be a positive integer, got " + describe_value(value));
  return v;
}

std::int64_t ObjectReader::positive_int_or(std::string_view key, std::int64_t fallback) {
  return has(key) ? positive_int(key) : fallback;
}

std::optional<std::int64_t> ObjectReader::optional_positive_int(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return positive_int(key);
}

std::int64_t ObjectReader::non_negative_int_or(std::string_view key, std::int64_t fallback) {
  if (!has(key)) return fallback;
  const auto& value = require(key);
  const std::int64_t v = as_int(pointer_to(key), value);
  if (v < 0) fail(key, "must be a non-negative integer, got " + describe_value(value));
  return v;
}

std::int64_t ObjectReader::at_most(std::string_view key, std::int64_t value, std::int64_t limit) const {
  if (value > limit)
    fail(key, "must be at most " + std::to_string(limit) + " (switchsim's limit, see src/config/limits.hpp), got " +
                  std::to_string(value));
  return value;
}

double ObjectReader::positive_number(std::string_view key) {
  const auto& value = require(key);
  const double v = as_number(pointer_to(key), value);
  if (!(v > 0.0)) fail(key, "must be a positive number, got " + describe_value(value));
  return v;
}

double ObjectReader::positive_number_or(std::string_view key, double fallback) {
  return has(key) ? positive_number(key) : fallback;
}

std::optional<double> ObjectReader::optional_positive_number(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return positive_number(key);
}

double ObjectReader::non_negative_number_or(std::string_view key, double fallback) {
  if (!has(key)) return fallback;
  const auto& value = require(key);
  const double v = as_number(pointer_to(key), value);
  if (v < 0.0) fail(key, "must be a non-negative number, got " + describe_value(value));
  return v;
}

double ObjectReader::number_in_range_or(std::string_view key, double low, double high, double fallback) {
  if (!has(key)) return fallback;
  const auto& value = require(key);
  const double v = as_number(pointer_to(key), value);
  if (v < low || v > high)
    fail(key, "must be between " + nlohmann::json(low).dump() + " and " + nlohmann::json(high).dump() + ", got " +
                  describe_value(value));
  return v;
}

Picoseconds ObjectReader::microseconds_or(std::string_view key, double fallback_us) {
  const double us = non_negative_number_or(key, fallback_us);
  try {
    return Picoseconds::from_seconds(us * 1e-6);
  } catch (const OverflowError&) {
    fail(key, "is too large (" + describe_value(nlohmann::json(us)) + " us does not fit in 64-bit picoseconds)");
  }
}

Bytes ObjectReader::gibibytes(std::string_view key) {
  const double gib = positive_number(key);
  try {
    return Bytes::from_double(gib * 1073741824.0);
  } catch (const OverflowError&) {
    fail(key, "is too large (" + describe_value(nlohmann::json(gib)) + " GiB does not fit in 64-bit bytes)");
  }
}

std::string ObjectReader::string(std::string_view key) {
  const auto& value = require(key);
  if (!value.is_string()) fail(key, "must be a string, got " + describe_value(value));
  std::string s = value.get<std::string>();
  if (s.empty()) fail(key, "must not be empty");
  return s;
}

std::string ObjectReader::string_or(std::string_view key, std::string fallback) {
  return has(key) ? string(key) : fallback;
}

std::optional<std::string> ObjectReader::optional_string(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return string(key);
}

std::string ObjectReader::choice(std::string_view key, std::initializer_list<std::string_view> choices) {
  std::string s = string(key);
  for (std::string_view c : choices)
    if (s == c) return s;
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  fail(key, "must be one of " + list + ", got \"" + s + "\"");
}

std::string ObjectReader::choice_or(std::string_view key, std::initializer_list<std::string_view> choices,
                                    std::string fallback) {
  return has(key) ? choice(key, choices) : fallback;
}

bool ObjectReader::boolean_or(std::string_view key, bool fallback) {
  if (!has(key)) return fallback;
  const auto& value = require(key);
  if (!value.is_boolean()) fail(key, "must be true or false, got " + describe_value(value));
  return value.get<bool>();
}

ObjectReader ObjectReader::object(std::string_view key) {
  const auto& value = require(key);
  return ObjectReader(value, file_, pointer_to(key));
}

std::optional<ObjectReader> ObjectReader::optional_object(std::string_view key) {
  if (!has(key)) return std::nullopt;
  return object(key);
}

const nlohmann::json& ObjectReader::array(std::string_view key) {
  const auto& value = require(key);
  if (!value.is_array()) fail(key, "must be an array, got " + describe_value(value));
  return value;
}

std::vector<std::int64_t> ObjectReader::positive_int_array(std::string_view key) {
  const auto& values = array(key);
  if (values.empty()) fail(key, "must not be empty");
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string element = pointer_to(key) + "/" + std::to_string(i);
    const std::int64_t v = as_int(element, values[i]);
    if (v <= 0) throw ConfigError(file_, element, "must be a positive integer, got " + describe_value(values[i]));
    out.push_back(v);
  }
  return out;
}

std::vector<double> ObjectReader::non_negative_number_array(std::string_view key) {
  const auto& values = array(key);
  if (values.empty()) fail(key, "must not be empty");
  std::vector<double> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string element = pointer_to(key) + "/" + std::to_string(i);
    const double v = as_number(element, values[i]);
    if (!(v >= 0.0)) throw ConfigError(file_, element, "must be a number >= 0, got " + describe_value(values[i]));
    out.push_back(v);
  }
  return out;
}

void ObjectReader::finish() const {
  for (const auto& [key, value] : object_.items()) {
    if (!read_.contains(key)) fail(key, "unknown field");
  }
}

}  // namespace switchsim::config
