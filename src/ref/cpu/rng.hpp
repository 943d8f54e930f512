#pragma once
// A small seeded generator whose stream is the same on every platform (std::normal_distribution
// is implementation-defined), so a seed names the same inputs everywhere.

#include <cstdint>
#include <vector>

namespace switchsim::ref::cpu {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next_u64();
  double uniform();  // in [0, 1)
  double normal();   // standard normal (Box-Muller)

 private:
  std::uint64_t state_;
};

// `n` normal values scaled by `stddev`.
std::vector<float> normal_vector(Rng& rng, std::size_t n, double stddev);

// A stream seed derived from a base seed and a purpose (e.g. expert index), so that a tensor's
// values do not depend on how many ranks the layer is split over.
std::uint64_t derive_seed(std::uint64_t base, std::uint64_t purpose, std::uint64_t index);

}  // namespace switchsim::ref::cpu
