#include "sweep/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace switchsim::sweep {

ProgressBar::ProgressBar(std::string label, bool enabled, std::string unit)
    : label_(std::move(label)), enabled_(enabled), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stderr);
}

bool ProgressBar::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

std::string ProgressBar::render(const std::string& label, std::int64_t done, std::int64_t total, double elapsed_s,
                                const std::string& unit) {
  constexpr int kWidth = 30;
  const double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  const double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  return fmt::format("{} [{}{}] {}/{} {}  {:.1f} {}/s  ETA {:.0f} s", label, std::string(filled, '#'),
                     std::string(kWidth - filled, '.'), done, total, unit, rate, unit, eta);
}

void ProgressBar::update(std::int64_t done, std::int64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  fmt::print(stderr, "\r{}", render(label_, done, total, elapsed, unit_));
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace switchsim::sweep
