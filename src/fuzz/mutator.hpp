#pragma once
// Seeded random mutation of config text, for robustness testing of every parser: the same
// seed gives the same mutants, so a failure found once can be replayed.

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

namespace switchsim::fuzz {

class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}
  // One to four edits: flip a byte, delete or duplicate a span, insert JSON punctuation,
  // replace a number by an extreme value (0, -1, 1e308, 2^64, NaN, "x"), or truncate.
  std::string mutate(const std::string& input);

 private:
  std::mt19937_64 rng_;
};

// Outcome of feeding one input to the parsers: accepted, or rejected with a ConfigError /
// std::invalid_argument. Anything else (another exception, a crash) is a bug.
enum class ParseOutcome { accepted, rejected };

// Feeds `text` to the parser of `kind` (model, device, cluster, trace, grid), as if read from
// `name`. Throws whatever unexpected exception the parser threw.
ParseOutcome parse_as(const std::string& kind, const std::string& text, const std::string& name);

// The same, with the file that trace and grid texts are written to for their parsers (in a
// private directory: fuzz/scratch_dir.hpp).
ParseOutcome parse_as(const std::string& kind, const std::string& text, const std::string& name,
                      const std::filesystem::path& scratch_file);

}  // namespace switchsim::fuzz
