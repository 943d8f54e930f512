#pragma once
// The crash-safe record of a sweep in progress: every finished point is appended to a journal
// file in the output directory as one JSON line and handed to the kernel with one write(), so
// a sweep killed at any moment (SIGKILL, pre-emption) keeps every point it finished; the
// journal is fdatasync'd at most once a second, so a machine crash loses at most about a
// second of points. `sweep --resume` reads the journals and runs only the missing points.
//
// Files: DIR/journal-rank<R>.jsonl, one per writer (MPI rank; 0 without MPI), so writers never
// share a file. Line 1 is a header naming the sweep ({"switchsim_sweep_journal": 1, "sweep":
// KEY}); each further line is {"index": I, "row": {...}}. A line cut short by a kill (no
// trailing newline, or not JSON) is ignored on reading and cut off before the next append.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace switchsim::sweep {

// Journal file name of writer `rank`.
std::string journal_file_name(int rank);

// Every finished point recorded in DIR's journals (any number of writers), by grid index.
// Throws config::ConfigError naming the file when a journal belongs to a different sweep
// (another KEY: other grid, options or simulator version) or is not a journal.
std::map<std::int64_t, nlohmann::json> read_journals(const std::filesystem::path& dir, const std::string& key);

// Removes every journal in DIR (a sweep that starts afresh, or one whose results are published).
void remove_journals(const std::filesystem::path& dir);

// Appends points to DIR/journal-rank<R>.jsonl, creating it with its header or, when it
// exists (a resumed sweep), checking its header and cutting off a torn last line first.
class JournalWriter {
 public:
  JournalWriter(const std::filesystem::path& dir, const std::string& key, int rank);
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // One line, one write(); not thread-safe (the sweep calls it under its progress lock).
  void append(std::int64_t index, const nlohmann::json& row);
  // fdatasync now (before the results are published).
  void sync();

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point last_sync_;
};

}  // namespace switchsim::sweep
