// `switchsim bench kernels`: the CUDA reference's kernels against measured ceilings.
// Goals (issue 7), printed as ratios, never asserted: expert GEMMs >= 70% of the measured bf16
// peak at d_model >= 1024; dispatch and combine >= 80% of device-to-device copy bandwidth;
// layer forward+backward >= 1.5x the one-hot einsum baseline. Without a GPU: one skip line.

#include <fmt/format.h>

#include <string>

#include "bench/benchmark.hpp"
#include "ref/cuda/api.hpp"

namespace switchsim::bench {

Benchmark kernels_benchmark() {
  return Benchmark{"kernels",
                   "CUDA reference: expert GEMM TFLOP/s vs bf16 peak, dispatch/combine GB/s vs memcpy, layer vs "
                   "one-hot einsum, NCCL all-to-all busbw (skipped without a GPU)",
                   [](bool quick) {
                     std::string why;
                     if (!ref::cuda::cuda_available(why)) {
                       fmt::print("no CUDA device: {}; skipped\n", why);
                       return;
                     }
                     const auto result = ref::cuda::run_kernel_bench(quick);
                     for (const auto& row : result.rows) {
                       if (row.unit != "x" && row.time_s == 0) {
                         fmt::print("kernels/{:<58} {}\n", row.name, row.note);
                         continue;
                       }
                       std::string ratio;
                       if (row.reference > 0)
                         ratio = fmt::format("  ratio={:.2f}  goal_ratio={:.2f}", row.rate / row.reference,
                                             row.goal > 0 ? row.rate / row.reference / row.goal : 0.0);
                       fmt::print("kernels/{:<58} time_s={:.3e}  {}={:.2f}{}{}\n", row.name, row.time_s, row.unit,
                                  row.rate, ratio, row.note.empty() ? "" : "  (" + row.note + ")");
                     }
                   }};
}

}  // namespace switchsim::bench
