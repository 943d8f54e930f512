#pragma once
// A one-line progress bar on stderr (points done/total, rate, ETA), redrawn at most ten
// times a second, and silent when stderr is not a terminal (logs, CI, pipes).

#include <chrono>
#include <cstdint>
#include <string>

namespace switchsim::sweep {

class ProgressBar {
 public:
  // `unit`: what is counted ("points" of a sweep, "tasks" of a step).
  explicit ProgressBar(std::string label, bool enabled, std::string unit = "points");
  ~ProgressBar();
  void update(std::int64_t done, std::int64_t total);

  static bool stderr_is_terminal();
  // The text of the bar, for tests.
  static std::string render(const std::string& label, std::int64_t done, std::int64_t total, double elapsed_s,
                            const std::string& unit = "points");

 private:
  std::string label_;
  bool enabled_;
  std::string unit_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace switchsim::sweep
