#include "ref/cpu/blas_core.hpp"

#include <cblas.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace switchsim::ref::cpu {

namespace {
bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
}  // namespace

std::string suggested_core(std::string_view running, bool avx512, bool avx2_fma) {
  // OpenBLAS 0.3 x86-64 cores with AVX2 (or better) kernels.
  static constexpr std::array<std::string_view, 6> kFast{"Haswell",  "Zen",        "SkylakeX",
                                                         "Cooperlake", "SapphireRapids", "Excavator"};
  if (std::any_of(kFast.begin(), kFast.end(), [&](std::string_view c) { return same_name(c, running); })) return "";
  if (avx512) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  return "";
}

BlasCore blas_core() {
  BlasCore c;
  const char* name = openblas_get_corename();
  c.running = name != nullptr ? name : "unknown";
  if (const char* env = std::getenv("OPENBLAS_CORETYPE")) c.requested = env;
  __builtin_cpu_init();
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  c.suggested = suggested_core(c.running, cpu_has_avx512(), avx2_fma);
  return c;
}

}  // namespace switchsim::ref::cpu
