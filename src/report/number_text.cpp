#include "report/number_text.hpp"

#include <fmt/format.h>

#include <cmath>

namespace switchsim::report {

std::string number_text(double v) {
  const double a = std::fabs(v);
  if (a == 0.0) return "0";
  if (a >= 1e4 && a < 1e12) return fmt::format("{:.0f}", v);
  return fmt::format("{:.4g}", v);  // 0.36, 0.0005, 1.5e-05
}

std::string percent_text(double v) { return fmt::format("{:.1f}%", v * 100.0); }

std::string gib_text(double bytes) { return fmt::format("{:.1f} GiB", bytes / 1073741824.0); }

std::string factor_text(double v) { return fmt::format("{:g}", v); }

}  // namespace switchsim::report
