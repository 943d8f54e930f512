#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/error.hpp"
#include "sweep/journal.hpp"
#include "sweep/publish.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using switchsim::sweep::PublishedFile;

namespace {
fs::path publish_dir(const std::string& name) { return switchsim::test::fresh_dir("publish_" + name); }
using switchsim::test::slurp;
void spit(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Every regular file a reader sees in the directory (hidden staging entries excluded).
std::map<std::string, std::string> visible_set(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && !e.path().filename().string().starts_with(".")) files[e.path().filename()] = slurp(e.path());
  return files;
}
}  // namespace

TEST_CASE("a SIGKILL at any step of a sweep's publication leaves the old complete set or the new complete set",
          "[sweep][publish]") {
  const auto dir = publish_dir("kill");
  const std::map<std::string, std::string> old_set{
      {"results.json", "old json"}, {"results.csv", "old csv"}, {"report.html", "old report"}, {"notes.txt", "mine"}};
  // The new sweep has no report: the old report.html is stale and must go with the old set.
  const std::vector<PublishedFile> new_files{{"results.json", "new json"}, {"results.csv", "new csv"}};
  const std::map<std::string, std::string> new_set{
      {"results.json", "new json"}, {"results.csv", "new csv"}, {"notes.txt", "mine"}};
  int old_outcomes = 0, rolled_forward = 0, mixed_before_recovery = 0;
  bool finished = false;
  for (int kill_at = 0; !finished && kill_at < 100; ++kill_at) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const auto& [name, text] : old_set) spit(dir / name, text);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      switchsim::sweep::publish_files(dir, new_files, {"results.json", "results.csv", "report.html", "report.md"},
                                      [kill_at](int step) {
                                        if (step == kill_at) ::raise(SIGKILL);
                                      });
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    finished = WIFEXITED(status);
    INFO("killed at step " << kill_at);
    if (finished) REQUIRE(WEXITSTATUS(status) == 0);
    const auto seen = visible_set(dir);
    const bool committed = fs::exists(dir / ".publish");
    if (!committed && seen == old_set) {
      // Killed before the commit: the next publication or reader throws the staging away.
      CHECK_FALSE(switchsim::sweep::finish_publication(dir));
      CHECK(visible_set(dir) == old_set);
      ++old_outcomes;
    } else {
      // Committed: what a kill left is completed by the next switchsim command in the directory.
      if (seen != new_set && seen != old_set) ++mixed_before_recovery;  // killed while files moved
      switchsim::sweep::finish_publication(dir);
      CHECK(visible_set(dir) == new_set);
      if (!finished) ++rolled_forward;
    }
    // Nothing of the publication's own is left behind once it is finished.
    for (const auto& e : fs::directory_iterator(dir)) CHECK(e.path().filename() != ".publish");
  }
  CHECK(finished);
  // The loop really killed before the commit, and inside the window where files move.
  CHECK(old_outcomes >= 3);  // two files staged, the manifest
  CHECK(rolled_forward >= 3);
  CHECK(mixed_before_recovery >= 1);
  fs::remove_all(dir);
}

TEST_CASE("publishing refuses to replace a target that is not a regular file and leaves it", "[sweep][publish]") {
  const auto dir = publish_dir("fifo");
  REQUIRE(::mkfifo((dir / "results.csv").c_str(), 0644) == 0);
  CHECK_THROWS_AS(switchsim::sweep::publish_files(dir, {{"results.json", "x"}, {"results.csv", "y"}}, {}),
                  std::invalid_argument);
  CHECK(fs::is_fifo(dir / "results.csv"));
  CHECK_FALSE(fs::exists(dir / "results.json"));
  fs::remove_all(dir);
}

TEST_CASE("a journal keeps the points it recorded, ignores a line cut short by a kill and repairs it before appending",
          "[sweep][journal]") {
  const auto dir = publish_dir("journal");
  {
    switchsim::sweep::JournalWriter writer(dir, "sweep A", 0);
    writer.append(3, {{"x", 1.5}});
    writer.append(0, {{"x", 0.1}});
  }
  // A kill in the middle of the third line.
  { std::ofstream(dir / switchsim::sweep::journal_file_name(0), std::ios::app) << R"({"index":7,"row":{"x")"; }
  auto rows = switchsim::sweep::read_journals(dir, "sweep A");
  REQUIRE(rows.size() == 2);
  CHECK(rows.at(3)["x"] == 1.5);
  CHECK(rows.at(0)["x"] == 0.1);
  {
    switchsim::sweep::JournalWriter writer(dir, "sweep A", 0);  // the resumed run
    writer.append(7, {{"x", 7.0}});
  }
  { switchsim::sweep::JournalWriter other_rank(dir, "sweep A", 1); other_rank.append(9, {{"x", 9.0}}); }
  rows = switchsim::sweep::read_journals(dir, "sweep A");
  REQUIRE(rows.size() == 4);
  CHECK(rows.at(7)["x"] == 7.0);
  CHECK(rows.at(9)["x"] == 9.0);
  // Another sweep's journal is refused, naming the file.
  try {
    switchsim::sweep::read_journals(dir, "sweep B");
    FAIL("a journal of another sweep was accepted");
  } catch (const switchsim::config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("journal-rank") && Catch::Contains("different sweep"));
  }
  switchsim::sweep::remove_journals(dir);
  CHECK(switchsim::sweep::read_journals(dir, "sweep B").empty());
  fs::remove_all(dir);
}
