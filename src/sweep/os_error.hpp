#pragma once
// The error of a failed POSIX call on a result file: its path, what we tried, and errno's text.

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace switchsim::sweep {

// Call right after the failing call, before anything else can change errno.
inline std::runtime_error os_error(const std::filesystem::path& path, std::string_view what) {
  return std::runtime_error(path.string() + ": " + std::string(what) + ": " + std::strerror(errno));
}

}  // namespace switchsim::sweep
