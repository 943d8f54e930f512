#pragma once
// What this executable is, for the context blocks the libraries write: its version and build
// type (compile definitions) and the source tree's git revision.

#include <string>

#include "validate/tool_info.hpp"

namespace switchsim::cli {

// Runtime git revision of the source tree (short sha), or "unknown".
std::string source_git_sha();

validate::ToolInfo tool_info();

}  // namespace switchsim::cli
