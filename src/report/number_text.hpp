#pragma once
// How numbers read in report tables and sentences: deterministic, short, no exponent for the
// magnitudes a step report shows (tokens/s in the millions print as integers).

#include <string>

namespace switchsim::report {

std::string number_text(double v);    // 0.36, 2912711, 1.5e-05
std::string percent_text(double v);   // 0.3061 -> "30.6%"
std::string gib_text(double bytes);   // 8.59e10 -> "80.0 GiB"
std::string factor_text(double v);    // capacity factor 1 -> "1", 1.25 -> "1.25"

}  // namespace switchsim::report
