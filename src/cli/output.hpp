#pragma once
// Writing results: to stdout, or to a file atomically, so an interrupted run never leaves a
// half-written result behind and a hostile directory cannot redirect the write:
//   - the temp file is created beside the target with O_CREAT|O_EXCL|O_NOFOLLOW under a random
//     name (a symlink planted at any name is never followed; a taken name draws another);
//   - the target must be absent or a regular file: a FIFO, device node, directory, socket or
//     symbolic link there is refused (UsageError, exit 2) and left as it is. A symlink is
//     refused rather than replaced or followed: the user means either the link or its target,
//     and we cannot tell which;
//   - the file is fsync'd before the rename and the directory after it.

#include <filesystem>
#include <string>

namespace switchsim::cli {

// Throws UsageError when `path`'s directory does not exist: lets long runs fail before they start.
// Also refuses a target that is not a regular file (see above).
void require_output_directory(const std::filesystem::path& path);

// Throws UsageError when something other than a regular file is at `path`.
void require_replaceable_target(const std::filesystem::path& path);

void write_file_atomically(const std::filesystem::path& path, const std::string& content);

}  // namespace switchsim::cli
