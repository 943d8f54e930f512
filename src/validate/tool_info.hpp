#pragma once
// Who produced a result, for context blocks: the front end knows its version, build type and
// source revision (compile-time facts of the executable); the library only copies them.

#include <functional>
#include <filesystem>
#include <string>

namespace switchsim::validate {

struct ToolInfo {
  std::string version = "unknown";
  std::string build_type = "unknown";
  std::string git_sha = "unknown";
};

// How results reach files: the front end's atomic writer (temp file + rename). The library
// decides what to write and when (a calibration is written between measuring and predicting).
using WriteFile = std::function<void(const std::filesystem::path&, const std::string&)>;

}  // namespace switchsim::validate
