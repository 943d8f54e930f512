#include "config/json_file.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "config/error.hpp"

namespace switchsim::config {

nlohmann::json parse_json_text(const std::string& text, const std::string& name) {
  // Duplicate keys are silently resolved "last wins" by most parsers; in a config they are
  // almost always a copy-paste mistake, so we refuse them.
  std::vector<std::set<std::string>> keys_per_level;
  std::string duplicate;
  auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    const auto level = static_cast<std::size_t>(depth);
    if (event == E::object_start) {
      if (keys_per_level.size() <= level + 1) keys_per_level.resize(level + 2);
      keys_per_level[level + 1].clear();
    } else if (event == E::key) {
      if (keys_per_level.size() <= level) keys_per_level.resize(level + 1);
      const std::string key = parsed.get<std::string>();
      if (!keys_per_level[level].insert(key).second && duplicate.empty()) duplicate = key;
    }
    return true;
  };
  nlohmann::json result;
  try {
    result = nlohmann::json::parse(text, callback, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] parse error at line L, column C: ".
    const auto colon = what.find("]");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    throw ConfigError(name, "byte " + std::to_string(e.byte), "not valid JSON (" + what + ")");
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range.406 "number overflow parsing '1e9990'": valid syntax, unusable value.
    std::string what = e.what();
    const auto bracket = what.find("]");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    throw ConfigError(name, "file", "unusable JSON value (" + what + ")");
  }
  if (!duplicate.empty()) throw ConfigError(name, "/" + duplicate, "duplicate key");
  return result;
}

nlohmann::json load_json_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) throw ConfigError(name, "file", "no such file");
  if (std::filesystem::is_directory(status)) throw ConfigError(name, "file", "is a directory, expected a JSON file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw ConfigError(name, "file", "cannot read size: " + ec.message());
  if (size > kMaxConfigBytes)
    throw ConfigError(name, "file",
                      "too large (" + std::to_string(size) + " bytes; limit " + std::to_string(kMaxConfigBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(name, "file", "cannot open for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ConfigError(name, "file", "read error");
  return parse_json_text(buffer.str(), name);
}

}  // namespace switchsim::config
