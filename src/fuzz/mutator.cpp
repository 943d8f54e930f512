#include "fuzz/mutator.hpp"

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "config/cluster_config.hpp"
#include "config/device_config.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/model_config.hpp"
#include "fuzz/scratch_dir.hpp"
#include "model/routing.hpp"
#include "sweep/grid.hpp"

namespace switchsim::fuzz {

std::string Mutator::mutate(const std::string& input) {
  std::string s = input;
  auto pick = [this](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n == 0 ? 0 : n - 1)(rng_); };
  static constexpr std::array<const char*, 12> kTokens{"{", "}", "[", "]", ",", ":", "\"", "null", "-", "NaN",
                                                       "1e999", "\\u0000"};
  static constexpr std::array<const char*, 8> kNumbers{"0", "-1", "1e308", "18446744073709551616", "0.5", "-0",
                                                       "\"x\"", "[]"};
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits; ++e) {
    switch (pick(6)) {
      case 0:
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
        break;
      case 1:
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          s.erase(at, 1 + pick(16));
        }
        break;
      case 2:
        if (!s.empty()) {
          const std::size_t at = pick(s.size());
          s.insert(pick(s.size() + 1), s.substr(at, 1 + pick(32)));
        }
        break;
      case 3:
        s.insert(pick(s.size() + 1), kTokens[pick(kTokens.size())]);
        break;
      case 4: {
        // Replace the first digit run after a random position by an extreme value.
        const std::size_t from = pick(s.size() + 1);
        const std::size_t start = s.find_first_of("0123456789", from);
        if (start == std::string::npos) break;
        const std::size_t end = s.find_first_not_of("0123456789.eE+-", start);
        s.replace(start, (end == std::string::npos ? s.size() : end) - start, kNumbers[pick(kNumbers.size())]);
        break;
      }
      default:
        s.resize(pick(s.size() + 1));
    }
  }
  return s;
}

ParseOutcome parse_as(const std::string& kind, const std::string& text, const std::string& name) {
  if (kind != "trace" && kind != "grid") return parse_as(kind, text, name, std::filesystem::path());
  const ScratchDir scratch;
  return parse_as(kind, text, name, scratch.path() / "input.json");
}

ParseOutcome parse_as(const std::string& kind, const std::string& text, const std::string& name,
                      const std::filesystem::path& scratch_file) {
  try {
    if (kind == "model") {
      config::parse_model(config::parse_json_text(text, name), name);
    } else if (kind == "device") {
      auto json = config::parse_json_text(text, name);
      if (json.is_object()) json.erase("type");
      config::parse_device(json, name);
    } else if (kind == "cluster") {
      // Devices resolve to a fixed inline device so that only the cluster text is fuzzed.
      config::DeviceConfig device;
      device.name = "d";
      config::parse_cluster(config::parse_json_text(text, name), name, [&](const std::string&) { return device; });
    } else if (kind == "trace" || kind == "grid") {
      // These parsers read files: the mutant goes to the caller's private scratch file.
      {
        std::ofstream out(scratch_file, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + scratch_file.string());
      }
      if (kind == "trace") model::load_routing_trace(scratch_file, 4);
      else sweep::load_grid(scratch_file);
    } else {
      throw std::logic_error("unknown parser kind " + kind);
    }
    return ParseOutcome::accepted;
  } catch (const config::ConfigError&) {
    return ParseOutcome::rejected;
  } catch (const std::invalid_argument&) {
    return ParseOutcome::rejected;
  }
}

}  // namespace switchsim::fuzz
