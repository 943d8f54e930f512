#include "cli/tool_info.hpp"

#include <array>
#include <cstdio>

namespace switchsim::cli {

std::string source_git_sha() {
  const std::string command = std::string("git -C '") + SWITCHSIM_SOURCE_DIR + "' rev-parse --short=12 HEAD 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "unknown";
  std::array<char, 128> buf{};
  std::string out;
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  const int rc = ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return rc == 0 && !out.empty() ? out : "unknown";
}

validate::ToolInfo tool_info() { return {SWITCHSIM_VERSION, SWITCHSIM_BUILD_TYPE, source_git_sha()}; }

}  // namespace switchsim::cli
