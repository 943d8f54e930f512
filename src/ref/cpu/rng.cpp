#include "ref/cpu/rng.hpp"

#include <cmath>
#include <numbers>

namespace switchsim::ref::cpu {

std::uint64_t Rng::next_u64() {  // SplitMix64
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::vector<float> normal_vector(Rng& rng, std::size_t n, double stddev) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(rng.normal() * stddev);
  return v;
}

std::uint64_t derive_seed(std::uint64_t base, std::uint64_t purpose, std::uint64_t index) {
  Rng r(base ^ (purpose * 0xD1B54A32D192ED03ULL) ^ (index * 0x8CB92BA72F3D8DD7ULL));
  return r.next_u64();
}

}  // namespace switchsim::ref::cpu
