#pragma once
// The error figures of `switchsim validate` (shared/DESIGN.md): err = predicted / measured - 1
// per phase and for the step, and over a set of configurations the median and the maximum of
// |err| (median of an even count = mean of the two middle values).

#include <cstddef>
#include <optional>
#include <vector>

namespace switchsim::report {

// predicted / measured - 1; nullopt when measured is not positive (no finite error).
std::optional<double> relative_error(double predicted_s, double measured_s);

struct ErrorSummary {
  std::size_t count = 0;
  double median_abs = 0;
  double max_abs = 0;
  std::size_t max_index = 0;  // position of the largest |err| in the input (first on ties)
};

// Throws std::invalid_argument for an empty list.
ErrorSummary summarize_errors(const std::vector<double>& errors);

}  // namespace switchsim::report
