#pragma once
// The error figures of `switchsim validate` (shared/DESIGN.md): err = predicted / measured - 1
// per phase and for the step, and over a set of configurations the median and the maximum of
// |err| (median of an even count = mean of the two middle values).
// The median |err| mixes two errors that have different causes. What every configuration of a
// run shares (the median of the signed errors: all predicted about 4% slow) comes from something
// common to them all, such as a calibration that met the machine at another speed than the
// measurement did or a term every layer pays. What is left (the median absolute deviation
// from that median) is each configuration's own error: the model's description of that layer.
// On a shared 2-core VM the shared part moved between -2.0% and +6.9% over 17 runs of one code
// while the per-configuration part was 1.4-2.4% in 13 of them and at most 4.2%
// (traces/measured/README.md, session 18).

#include <cstddef>
#include <optional>
#include <vector>

namespace switchsim::report {

// The median of `values` (of an even count, the mean of the two middle values): the one rule every
// median of validate and the report uses. Throws std::invalid_argument for none.
double median(std::vector<double> values);

// predicted / measured - 1; nullopt when measured is not positive (no finite error).
std::optional<double> relative_error(double predicted_s, double measured_s);

struct ErrorSummary {
  std::size_t count = 0;
  double median_abs = 0;
  double max_abs = 0;
  std::size_t max_index = 0;  // position of the largest |err| in the input (first on ties)
  double median = 0;          // of the signed errors: the offset every point shares
  double median_abs_deviation = 0;  // median of |err - median|: each point's own error beyond it
};

// Throws std::invalid_argument for an empty list.
ErrorSummary summarize_errors(const std::vector<double>& errors);

}  // namespace switchsim::report
