#pragma once
// Counter-based pseudo-random numbers (splitmix64 finalizer of seed, stream and index), the same
// on the host and in CUDA kernels, so device-initialized tensors can be re-created on the CPU.

#include <cstdint>

#if defined(__CUDACC__)
#define SWITCHSIM_HD __host__ __device__ __forceinline__
#else
#define SWITCHSIM_HD inline
#endif

namespace switchsim::ref::cuda {

SWITCHSIM_HD std::uint64_t counter_hash(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + index;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [-1, 1): the top 24 bits as a float fraction (exact in fp32).
SWITCHSIM_HD float counter_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const auto bits = static_cast<std::uint32_t>(counter_hash(seed, stream, index) >> 40);
  return static_cast<float>(bits) * (2.0f / 16777216.0f) - 1.0f;
}

// Streams of the layer's tensors.
enum class TensorStream : std::uint64_t { x = 1, router_w = 2, w1 = 3, w3 = 4, w2 = 5, dy = 6 };

}  // namespace switchsim::ref::cuda
