#include "report/validation_errors.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace switchsim::report {

double median(std::vector<double> values) {
  if (values.empty()) throw std::invalid_argument("median: no values");
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::optional<double> relative_error(double predicted_s, double measured_s) {
  if (!(measured_s > 0) || !std::isfinite(predicted_s) || !std::isfinite(measured_s)) return std::nullopt;
  return predicted_s / measured_s - 1.0;
}

ErrorSummary summarize_errors(const std::vector<double>& errors) {
  if (errors.empty()) throw std::invalid_argument("summarize_errors: no errors to summarize");
  ErrorSummary s;
  s.count = errors.size();
  std::vector<double> abs;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const double a = std::fabs(errors[i]);
    abs.push_back(a);
    if (i == 0 || a > s.max_abs) {
      s.max_abs = a;
      s.max_index = i;
    }
  }
  s.median_abs = median(abs);
  s.median = median(errors);
  std::vector<double> deviation;
  for (const double e : errors) deviation.push_back(std::fabs(e - s.median));
  s.median_abs_deviation = median(deviation);
  return s;
}

}  // namespace switchsim::report
