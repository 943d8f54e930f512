#pragma once
// Prediction of one Switch layer as the CUDA reference (src/ref/cuda/layer.cpp) runs it, kernel
// by kernel, for `validate --target cuda`. Same work (plan_layer: capacity, routed loads, bytes
// of the all-to-all) as predict_layer, different algorithm:
//  - router: the reference's 16x16 shared-memory tiled fp32 GEMM (not cuBLAS), modelled as that
//    kernel runs: its inner loop issues two 4-byte shared-memory loads per FMA; an SM serves 32
//    such loads per clock (32 banks of 4 bytes, CUDA C++ Programming Guide, "Shared Memory") and
//    issues 128 fp32 FMAs per clock (128 FP32 cores per SM, compute capability 9.0), so the
//    kernel runs at 32 / 2 / 128 = 1/8 of the fp32 peak, on dimensions padded to 16. Then
//    softmax + top-k, the three scan kernels, the slot table (forward); softmax backward with
//    the aux-loss term and two more tiled GEMMs (backward): each a memory-bound kernel.
//  - expert FFN: per source rank one strided-batched GEMM over [E_local, C, d] (R launches of
//    E_local x C rows each, directly on the receive buffer; no regrouping copies); dropless:
//    one grouped GEMM per source rank, each expert's rows split evenly over the sources and
//    padded to the GEMM tile. Activation and its backward are one pass over all rows.
//  - all-to-all with one rank: a device-to-device copy of the rank's own block (read + write),
//    not the 0 of a collective over one member.
//  - dispatch / combine: the gather kernels' bytes (kept rows in, every slot row out; combine
//    backward writes every slot row and reads two rows per kept assignment for the gate gradient).

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"
#include "model/layer_prediction.hpp"

namespace switchsim::model {

// The fraction of the fp32 peak the tiled router kernel reaches (see above): 1/8.
inline constexpr double kTiledRouterPeakFraction = 32.0 / 2.0 / 128.0;

// Throws std::invalid_argument as predict_layer does.
LayerPrediction predict_cuda_layer(const LayerScenario& scenario, const config::ClusterConfig& cluster,
                                   CommModel& comm);

// The tiled router kernel's time for c[m, n] = a[m, k] b[k, n] (fp32 accumulate, a in
// `a_bytes` per element): max(FLOPs on 16-padded dims / (fp32 peak / 8), bytes / bandwidth)
// plus the kernel overhead.
Picoseconds tiled_router_gemm_time(const compute::KernelModel& kernels, std::int64_t m, std::int64_t n,
                                   std::int64_t k, std::int64_t a_bytes);

}  // namespace switchsim::model
