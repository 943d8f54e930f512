#pragma once
// Which OpenBLAS kernels this process runs, and whether it should ask for better ones.
// OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels from the CPU's family and
// model number; a model it does not know (a newer Xeon, often under a hypervisor) falls back
// to its generic SSE3 kernels ("Prescott"), which run sgemm 5-8x slower than the AVX-512
// ones on the same core. OPENBLAS_CORETYPE, read when the library loads, overrides the choice.

#include <string>
#include <string_view>

namespace switchsim::ref::cpu {

struct BlasCore {
  std::string running;    // openblas_get_corename() of this process
  std::string requested;  // OPENBLAS_CORETYPE of this process's environment, empty when unset
  std::string suggested;  // a core type worth asking for, empty when `running` already fits the CPU
};

// The kernels worth asking for on a CPU with these features when OpenBLAS runs `running`:
// "SkylakeX" with AVX-512 (F, CD, BW, DQ, VL), "Haswell" with AVX2 + FMA, and "" when
// `running` is already one of OpenBLAS's AVX2-or-better cores (or the CPU has neither).
std::string suggested_core(std::string_view running, bool avx512, bool avx2_fma);

// This process: its OpenBLAS core, its environment and this CPU's features.
BlasCore blas_core();

// The environment variable that tells the ranks switchsim started which core OpenBLAS had
// chosen on its own before switchsim set OPENBLAS_CORETYPE (for the context block).
inline constexpr const char* kBlasCoreDetectedVariable = "SWITCHSIM_OPENBLAS_DETECTED_CORE";

}  // namespace switchsim::ref::cpu
