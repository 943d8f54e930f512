#pragma once
// Writing results: to stdout, or to a file atomically (temp file in the same directory, then
// rename), so an interrupted run never leaves a half-written result behind.

#include <filesystem>
#include <string>

namespace switchsim::cli {

// Throws UsageError when `path`'s directory does not exist: lets long runs fail before they start.
void require_output_directory(const std::filesystem::path& path);

void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace switchsim::cli
