#include "sweep/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "config/error.hpp"
#include "sweep/os_error.hpp"

namespace switchsim::sweep {
namespace {

constexpr const char* kHeaderKey = "switchsim_sweep_journal";

bool is_journal_name(const std::string& name) {
  return name.starts_with("journal-rank") && name.ends_with(".jsonl");
}

nlohmann::json header(const std::string& key) { return {{kHeaderKey, 1}, {"sweep", key}}; }

void check_header(const std::filesystem::path& path, const std::string& line, const std::string& key) {
  const auto doc = nlohmann::json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains(kHeaderKey) || !doc.contains("sweep"))
    throw config::ConfigError(path.string(), "line 1", "not a switchsim sweep journal");
  if (doc["sweep"] != key)
    throw config::ConfigError(path.string(), "/sweep",
                              "journal of a different sweep (other grid, options or simulator version); resume with "
                              "the same command line, or use a new --out directory");
}

void write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw os_error(path, "cannot append to the sweep journal");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string journal_file_name(int rank) { return "journal-rank" + std::to_string(rank) + ".jsonl"; }

std::map<std::int64_t, nlohmann::json> read_journals(const std::filesystem::path& dir, const std::string& key) {
  std::map<std::int64_t, nlohmann::json> rows;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto name = entry.path().filename().string();
    if (!is_journal_name(name)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    std::size_t start = 0;
    bool first = true;
    // Only complete lines (ending in '\n') count: a kill may cut the last one short.
    for (std::size_t end = all.find('\n'); end != std::string::npos; start = end + 1, end = all.find('\n', start)) {
      const std::string line = all.substr(start, end - start);
      if (first) {
        check_header(entry.path(), line, key);
        first = false;
        continue;
      }
      auto doc = nlohmann::json::parse(line, nullptr, false);
      if (doc.is_discarded() || !doc.is_object() || !doc.contains("index") || !doc["index"].is_number_integer() ||
          !doc.contains("row"))
        continue;  // a torn line glued to a later one by an older writer: the point runs again
      rows[doc["index"].get<std::int64_t>()] = std::move(doc["row"]);
    }
  }
  return rows;
}

void remove_journals(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> doomed;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (is_journal_name(entry.path().filename().string())) doomed.push_back(entry.path());
  for (const auto& path : doomed) std::filesystem::remove(path, ec);
}

JournalWriter::JournalWriter(const std::filesystem::path& dir, const std::string& key, int rank)
    : path_(dir / journal_file_name(rank)), last_sync_(std::chrono::steady_clock::now()) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) throw os_error(path_, "cannot open the sweep journal");
  std::ifstream in(path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  const std::size_t first_newline = all.find('\n');
  if (first_newline == std::string::npos) {  // new, or killed while writing the header
    if (::ftruncate(fd_, 0) != 0) throw os_error(path_, "cannot reset the sweep journal");
    ::lseek(fd_, 0, SEEK_SET);
    write_all(fd_, header(key).dump() + "\n", path_);
  } else {
    check_header(path_, all.substr(0, first_newline), key);
    // Cut a torn last line, so the next line starts on a line of its own.
    const std::size_t keep = all.rfind('\n') + 1;
    if (keep != all.size() && ::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
      throw os_error(path_, "cannot repair the sweep journal");
    ::lseek(fd_, static_cast<off_t>(keep), SEEK_SET);
  }
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void JournalWriter::append(std::int64_t index, const nlohmann::json& row) {
  nlohmann::ordered_json line;
  line["index"] = index;
  line["row"] = row;
  write_all(fd_, line.dump() + "\n", path_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_sync_ >= std::chrono::seconds(1)) {
    ::fdatasync(fd_);
    last_sync_ = now;
  }
}

void JournalWriter::sync() { ::fdatasync(fd_); }

}  // namespace switchsim::sweep
