#include "cli/output.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "cli/command.hpp"

namespace switchsim::cli {
namespace {
std::filesystem::path directory_of(const std::filesystem::path& path) {
  return path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
}

// A closed-on-scope file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(); }
  int get() const { return fd_; }
  int close() {
    const int rc = fd_ >= 0 ? ::close(fd_) : 0;
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device node";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// Creates a new file next to `path` with a name nobody can predict (random suffix), with
// O_CREAT | O_EXCL: if anything exists at that name (a planted symlink included), open fails
// and we draw another name; a symlink is never followed.
std::pair<std::filesystem::path, int> create_exclusive_temp(const std::filesystem::path& path) {
  std::random_device entropy;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::uint64_t suffix = (static_cast<std::uint64_t>(entropy()) << 32) ^ entropy();
    const auto temp = directory_of(path) / fmt::format(".{}.tmp.{}.{:016x}", path.filename().string(), ::getpid(), suffix);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd >= 0) return {temp, fd};
    if (errno != EEXIST)
      throw UsageError(fmt::format("{}: cannot create a temporary file beside it ({})", path.string(), std::strerror(errno)));
  }
  throw UsageError(fmt::format("{}: cannot create a temporary file beside it (every name taken)", path.string()));
}

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}
}  // namespace

void require_output_directory(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory_of(path), ec))
    throw UsageError(fmt::format("{}: output directory does not exist", path.string()));
  require_replaceable_target(path);
}

void require_replaceable_target(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // nothing there yet
  if (!S_ISREG(st.st_mode))
    throw UsageError(fmt::format("{}: is {}, not a regular file; refusing to replace it with a result",
                                 path.string(), kind_of(st.st_mode)));
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  require_output_directory(path);
  auto [temp, raw_fd] = create_exclusive_temp(path);
  Fd fd(raw_fd);
  auto fail = [&](const std::string& why) {
    fd.close();
    ::unlink(temp.c_str());
    throw UsageError(fmt::format("{}: {}", path.string(), why));
  };
  if (!write_all(fd.get(), content)) fail(fmt::format("write failed ({})", std::strerror(errno)));
  // The data must be on disk before the name points at it, or a crash could leave an empty file.
  if (::fsync(fd.get()) != 0) fail(fmt::format("fsync failed ({})", std::strerror(errno)));
  if (fd.close() != 0) fail(fmt::format("close failed ({})", std::strerror(errno)));
  // Checked again right before the rename: a FIFO or device that appeared meanwhile stays.
  try {
    require_replaceable_target(path);
  } catch (const UsageError&) {
    ::unlink(temp.c_str());
    throw;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) fail(fmt::format("cannot move result into place ({})", std::strerror(errno)));
  // And the rename itself is on disk once the directory is.
  Fd dir(::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

}  // namespace switchsim::cli
