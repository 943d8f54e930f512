#pragma once
// Units in advise's sentences and tables: one definition for every file (the unity-built
// sanitizer stage compiles the library as one translation unit).

#include <fmt/format.h>

#include <string>

namespace switchsim::advise {

inline constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

inline std::string ms(double seconds) { return fmt::format("{:.1f} ms", seconds * 1e3); }

}  // namespace switchsim::advise
