#include "cli/output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

#include "cli/command.hpp"

namespace switchsim::cli {

void require_output_directory(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw UsageError(fmt::format("{}: output directory does not exist", path.string()));
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  require_output_directory(path);
  const auto temp = dir / fmt::format(".{}.tmp.{}", path.filename().string(), ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError(fmt::format("{}: cannot write (permission or disk problem)", path.string()));
    out << content;
    out.flush();
    if (!out) {
      std::filesystem::remove(temp, ec);
      throw UsageError(fmt::format("{}: write failed (disk full?)", path.string()));
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw UsageError(fmt::format("{}: cannot move result into place", path.string()));
  }
}

}  // namespace switchsim::cli
