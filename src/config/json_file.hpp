#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

namespace switchsim::config {

// Largest config file accepted; anything bigger is a mistake (a trace or a binary), and
// reading it whole would be slow and memory-hungry.
inline constexpr std::uintmax_t kMaxConfigBytes = 64ull << 20;

// Reads and parses one JSON file. Missing, unreadable, a directory, too large, not JSON
// (with the byte offset of the first error), NaN/Infinity, or duplicate keys all throw
// ConfigError naming the file.
nlohmann::json load_json_file(const std::filesystem::path& path);

// Same checks for JSON text already in memory; `name` stands for the file in errors.
nlohmann::json parse_json_text(const std::string& text, const std::string& name);

}  // namespace switchsim::config
