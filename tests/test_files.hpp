#pragma once
// What many test files need around the code under test: scratch directories, whole-file reads,
// line counts and the catalog of the source tree's models and hardware. One definition each, so
// that the test files can be compiled together (tests/CMakeLists.txt builds them as a unity build).

#include <cstddef>
#include <filesystem>
#include <string>

#include "config/catalog.hpp"

namespace switchsim::test {

// The whole file, byte for byte; empty when it cannot be read.
std::string slurp(const std::filesystem::path& path);

// TMPDIR/switchsim_<name>_<pid>, emptied; created unless `create` is false (for commands that
// must create their output directory themselves).
std::filesystem::path fresh_dir(const std::string& name, bool create = true);

// Newline characters in `text`.
std::size_t count_lines(const std::string& text);

// The models and hardware of this source tree (read once).
const config::Catalog& catalog();

}  // namespace switchsim::test
