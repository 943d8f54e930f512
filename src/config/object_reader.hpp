#pragma once
// Reads one JSON object field by field into typed values, with errors that name the file
// and the JSON pointer. finish() rejects fields that nobody asked for, so a typo such as
// "d_modle" is an error rather than a silently ignored setting.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/error.hpp"
#include "units/units.hpp"

namespace switchsim::config {

class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& object, std::string file, std::string pointer = "");

  std::int64_t positive_int(std::string_view key);
  std::int64_t positive_int_or(std::string_view key, std::int64_t fallback);
  std::optional<std::int64_t> optional_positive_int(std::string_view key);
  std::int64_t non_negative_int_or(std::string_view key, std::int64_t fallback);
  // Returns `value` (read from `key`), or fails: "must be at most LIMIT (switchsim's limit), got V".
  std::int64_t at_most(std::string_view key, std::int64_t value, std::int64_t limit) const;

  double positive_number(std::string_view key);
  double positive_number_or(std::string_view key, double fallback);
  std::optional<double> optional_positive_number(std::string_view key);
  double non_negative_number_or(std::string_view key, double fallback);
  // A number in [low, high].
  double number_in_range_or(std::string_view key, double low, double high, double fallback);

  // Quantities with units in the key's name; values that overflow their type are errors here.
  Picoseconds microseconds_or(std::string_view key, double fallback_us);  // non-negative, "<name>_us"
  Bytes gibibytes(std::string_view key);                                  // positive, "<name>_GiB"

  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  std::optional<std::string> optional_string(std::string_view key);
  // A string that must be one of `choices`.
  std::string choice(std::string_view key, std::initializer_list<std::string_view> choices);
  std::string choice_or(std::string_view key, std::initializer_list<std::string_view> choices,
                        std::string fallback);
  bool boolean_or(std::string_view key, bool fallback);

  // Sub-objects and arrays; the returned reader/pointer carries the nested path.
  ObjectReader object(std::string_view key);
  std::optional<ObjectReader> optional_object(std::string_view key);
  const nlohmann::json& array(std::string_view key);
  std::vector<std::int64_t> positive_int_array(std::string_view key);
  std::vector<double> non_negative_number_array(std::string_view key);

  bool has(std::string_view key) const { return object_.contains(key); }
  const nlohmann::json& raw_object() const { return object_; }
  // The raw value (marks the key as read).
  const nlohmann::json& raw(std::string_view key);

  // Throws on the first field (in sorted order) that was never read.
  void finish() const;

  const std::string& file() const { return file_; }
  std::string pointer_to(std::string_view key) const;
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  const nlohmann::json& require(std::string_view key);
  std::int64_t as_int(const std::string& pointer, const nlohmann::json& value) const;
  double as_number(const std::string& pointer, const nlohmann::json& value) const;

  const nlohmann::json& object_;
  std::string file_;
  std::string pointer_;
  std::set<std::string, std::less<>> read_;
};

// Short text of a JSON value for error messages ("0", "\"abc\"", "an object").
std::string describe_value(const nlohmann::json& value);

}  // namespace switchsim::config
