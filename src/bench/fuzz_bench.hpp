#pragma once
// `switchsim bench fuzz`: a fuzzing campaign (fuzz/campaign.hpp) over the shipped configs.

#include <cstdint>
#include <optional>

namespace switchsim::bench {

struct FuzzRun {
  std::optional<std::uint64_t> seed;   // default: a random one, printed so the run can be replayed
  std::optional<std::int64_t> inputs;  // default: 100,000 (2,000 with quick)
  double per_input_limit_s = 1.0;
  bool simulate = true;
};

// Runs the campaign and prints its counts; returns 0 when every input was accepted or
// rejected cleanly within the time limit, 1 otherwise (each finding printed to stderr).
int run_fuzz(const FuzzRun& run, bool quick);

}  // namespace switchsim::bench
