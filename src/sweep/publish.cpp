#include "sweep/publish.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sweep/os_error.hpp"

namespace switchsim::sweep {
namespace {

constexpr const char* kCommitted = ".publish";
constexpr const char* kStagingPrefix = ".publish-tmp-";
constexpr const char* kManifest = "MANIFEST";

void fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw os_error(path, "cannot open to sync");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw os_error(path, "fsync failed");
}

void fsync_dir(const std::filesystem::path& dir) { fsync_path(dir, O_RDONLY | O_DIRECTORY); }

// Creates `path` (it must not exist), writes `content`, fsyncs.
void write_new_file(const std::filesystem::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw os_error(path, "cannot create");
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const auto error = os_error(path, "write failed (disk full?)");
      ::close(fd);
      throw error;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const auto error = os_error(path, "fsync failed");
    ::close(fd);
    throw error;
  }
  ::close(fd);
}

struct Manifest {
  std::vector<std::string> put, remove;
};

Manifest read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path);
  Manifest m;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("put ")) m.put.push_back(line.substr(4));
    if (line.starts_with("remove ")) m.remove.push_back(line.substr(7));
  }
  return m;
}

bool safe_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\n') == std::string::npos;
}

void step(const PublishStepHook& hook, int& counter) {
  if (hook) hook(counter);
  ++counter;
}

// Step 3: idempotent, so a second run after a kill finishes what the first began.
void roll_forward(const std::filesystem::path& dir, const PublishStepHook& hook, int& counter) {
  const auto committed = dir / kCommitted;
  const auto manifest_path = committed / kManifest;
  std::error_code ec;
  if (std::filesystem::exists(manifest_path, ec)) {
    const auto manifest = read_manifest(manifest_path);
    for (const auto& name : manifest.put) {
      if (!safe_name(name)) continue;
      const auto from = committed / name;
      if (::access(from.c_str(), F_OK) != 0) continue;  // moved before a kill
      if (::rename(from.c_str(), (dir / name).c_str()) != 0) throw os_error(dir / name, "cannot move result into place");
      step(hook, counter);
    }
    for (const auto& name : manifest.remove) {
      if (!safe_name(name)) continue;
      if (::unlink((dir / name).c_str()) != 0 && errno != ENOENT) throw os_error(dir / name, "cannot remove stale file");
      step(hook, counter);
    }
    fsync_dir(dir);
    step(hook, counter);
  }
  std::filesystem::remove_all(committed, ec);
  if (ec) throw std::runtime_error(committed.string() + ": cannot remove: " + ec.message());
  step(hook, counter);
}

}  // namespace

bool finish_publication(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return false;
  std::vector<std::filesystem::path> abandoned;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().filename().string().starts_with(kStagingPrefix)) abandoned.push_back(entry.path());
  for (const auto& path : abandoned) std::filesystem::remove_all(path, ec);
  if (!std::filesystem::exists(dir / kCommitted, ec)) return false;
  int counter = 0;
  roll_forward(dir, {}, counter);
  return true;
}

void publish_files(const std::filesystem::path& dir, const std::vector<PublishedFile>& files,
                   const std::vector<std::string>& owned, const PublishStepHook& hook) {
  finish_publication(dir);
  Manifest manifest;
  for (const auto& file : files) {
    if (!safe_name(file.name)) throw std::invalid_argument(file.name + ": not a plain file name");
    const auto target = dir / file.name;
    struct stat st {};
    if (::lstat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
      throw std::invalid_argument(target.string() + ": exists and is not a regular file; refusing to replace it");
    manifest.put.push_back(file.name);
  }
  for (const auto& name : owned) {
    if (!safe_name(name) || std::find(manifest.put.begin(), manifest.put.end(), name) != manifest.put.end()) continue;
    struct stat st {};
    if (::lstat((dir / name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) manifest.remove.push_back(name);
  }

  // 1. stage
  std::string pattern = (dir / (std::string(kStagingPrefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw os_error(dir, "cannot create a staging directory");
  const std::filesystem::path staging(pattern);
  int counter = 0;
  try {
    for (const auto& file : files) {
      write_new_file(staging / file.name, file.content);
      step(hook, counter);
    }
    std::ostringstream text;
    for (const auto& name : manifest.put) text << "put " << name << "\n";
    for (const auto& name : manifest.remove) text << "remove " << name << "\n";
    write_new_file(staging / kManifest, text.str());
    fsync_dir(staging);
    step(hook, counter);
    // 2. commit
    if (::rename(staging.c_str(), (dir / kCommitted).c_str()) != 0) throw os_error(dir / kCommitted, "cannot commit");
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(staging, ec);
    throw;
  }
  fsync_dir(dir);
  step(hook, counter);
  // 3. roll forward
  roll_forward(dir, hook, counter);
}

}  // namespace switchsim::sweep
