#include "model/cuda_layer_prediction.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace switchsim::model {
namespace {

constexpr std::int64_t kTile = 16;
constexpr std::int64_t kScanChunk = 1024;  // ref/cuda/layer.cpp

std::int64_t pad16(std::int64_t x) { return (x + kTile - 1) / kTile * kTile; }

struct Costs {
  const compute::KernelModel& kernels;
  Picoseconds mem(std::int64_t bytes) const { return kernels.memory_time(Bytes(bytes)); }
  Picoseconds gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, DType dt) const {
    if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return Picoseconds(0);
    return kernels.gemm_time({m, n, k, batch, dt});
  }
};

struct FfnRows {
  std::int64_t batch = 1;  // experts per launch (strided-batched) or 1 (grouped: rows summed)
  std::int64_t rows = 0;   // rows per expert of one launch
};

}  // namespace

Picoseconds tiled_router_gemm_time(const compute::KernelModel& kernels, std::int64_t m, std::int64_t n,
                                   std::int64_t k, std::int64_t a_bytes) {
  const auto& dev = kernels.device();
  const double flops = 2.0 * static_cast<double>(pad16(m)) * static_cast<double>(pad16(n)) * static_cast<double>(pad16(k));
  const double rate = dev.peak(DType::fp32).value() * kTiledRouterPeakFraction;
  const Picoseconds compute = Picoseconds::from_seconds(flops / rate);
  // a read once per column tile, b once per row tile, c written once (fp32).
  const std::int64_t bytes = a_bytes * m * k * (pad16(n) / kTile) + 4 * k * n * (pad16(m) / kTile) + 4 * m * n;
  const Picoseconds memory = Bytes(bytes) / (dev.memory_bandwidth * dev.memory_efficiency);
  return std::max(compute, memory) + dev.kernel_overhead;
}

LayerPrediction predict_cuda_layer(const LayerScenario& s, const config::ClusterConfig& cluster, CommModel& comm) {
  if (s.ranks < 1 || s.ranks > cluster.devices)
    throw std::invalid_argument("ranks must be between 1 and the cluster's " + std::to_string(cluster.devices) +
                                " devices, got " + std::to_string(s.ranks));
  const LayerWork w = plan_layer(s);
  const compute::KernelModel kernels(cluster.device);
  const Costs c{kernels};
  const DType dt = s.dtype;
  const std::int64_t b = dtype_bytes(dt);
  const std::int64_t T = s.tokens_per_rank, d = s.d_model, f = s.d_ff, E = s.experts, R = s.ranks;
  const std::int64_t El = E / R, A = T * s.top_k;
  const std::int64_t kept = static_cast<std::int64_t>(static_cast<double>(A) * (1.0 - w.dropped_token_frac) + 0.5);
  const std::int64_t rows = w.dispatch_rows;  // slot rows each rank sends (E*C, or its kept assignments)
  const std::int64_t chunks = std::max<std::int64_t>(1, (A + kScanChunk - 1) / kScanChunk);
  const bool geglu = s.ffn == config::FfnKind::geglu;
  const std::int64_t up = geglu ? 2 : 1;

  LayerPrediction p;
  p.capacity = w.capacity;
  p.dropped_token_frac = w.dropped_token_frac;
  p.aux_loss = w.aux_loss;

  // Router (fp32 logits; x in the compute dtype).
  const Picoseconds router_fwd = tiled_router_gemm_time(kernels, T, E, d, b) +
                                 c.mem(4) +                                // nonfinite counter reset
                                 c.mem(2 * T * E * 4 + A * 8) +            // softmax + top-k: logits in, probs out
                                 c.mem(A * 4 + chunks * E * 4) +           // chunk counts
                                 c.mem(2 * chunks * E * 4) +               // scan across chunks
                                 c.mem(2 * A * 4 + chunks * E * 4) +       // positions
                                 c.mem(rows * 4) +                         // slot table reset
                                 c.mem(4 * A * 4);                         // slots
  const Picoseconds router_bwd = c.mem(E * 4) + c.mem(T * 4 + E * 4) +    // first-choice counts (aux gradient)
                                 c.mem(2 * T * E * 4 + A * 8) +            // softmax backward
                                 tiled_router_gemm_time(kernels, d, E, T, b) +  // dW_r = x^T dlogits
                                 tiled_router_gemm_time(kernels, T, d, E, 4);   // dx += dlogits W_r^T
  // Dispatch: kept rows in, every slot row out; backward: a token's k rows summed into dx.
  const Picoseconds dispatch_fwd = c.mem((kept + rows) * d * b);
  const Picoseconds dispatch_bwd = c.mem((kept + T) * d * b);
  // All-to-all, one exchange.
  const Picoseconds a2a = R == 1 ? c.mem(2 * rows * d * b) : comm.time(w.alltoall);
  // Expert FFN, per source rank.
  FfnRows per_launch;
  std::int64_t expert_rows = 0;
  if (s.padding == Padding::capacity) {
    per_launch = {El, w.capacity};
    expert_rows = R * El * w.capacity;
  } else {
    const std::int64_t tile = std::max<std::int64_t>(1, cluster.device.gemm_tile);
    std::int64_t padded = 0;
    for (const auto r : w.rows_per_local_expert) padded += (r / R + tile - 1) / tile * tile;
    per_launch = {1, padded};
    expert_rows = w.received_rows;
  }
  const std::int64_t C = per_launch.rows, Eb = per_launch.batch;
  Picoseconds ffn_fwd{0}, ffn_bwd{0};
  if (C > 0) {
    for (std::int64_t src = 0; src < R; ++src) {
      for (std::int64_t u = 0; u < up; ++u) ffn_fwd += c.gemm(C, f, d, Eb, dt);  // X W1 (, X W3)
      ffn_fwd += c.gemm(C, d, f, Eb, dt);                                        // H W2
      ffn_bwd += c.gemm(C, f, d, Eb, dt) + c.gemm(f, d, C, Eb, dt);             // dH, dW2
      for (std::int64_t u = 0; u < up; ++u) ffn_bwd += c.gemm(C, d, f, Eb, dt) + c.gemm(d, f, C, Eb, dt);  // dX, dW
    }
    ffn_fwd += c.mem((up + 1) * expert_rows * f * b);        // activation
    ffn_bwd += c.mem((2 * up + 1) * expert_rows * f * b);    // its backward
  }
  // Combine: k rows per token in, y out; backward: every slot row written, gate gradients read
  // the gradient and the expert output of each kept assignment.
  const Picoseconds combine_fwd = c.mem((kept + T) * d * b);
  const Picoseconds combine_bwd = c.mem((kept + rows) * d * b) + c.mem(2 * kept * d * b);

  p.phase["router"] = router_fwd + router_bwd;
  p.phase["dispatch"] = dispatch_fwd + dispatch_bwd;
  p.phase["alltoall_dispatch"] = a2a * 2;
  p.phase["expert_ffn"] = ffn_fwd + ffn_bwd;
  p.phase["alltoall_combine"] = a2a * 2;
  p.phase["combine"] = combine_fwd + combine_bwd;
  p.forward = router_fwd + dispatch_fwd + a2a + ffn_fwd + a2a + combine_fwd;
  p.backward = combine_bwd + a2a + ffn_bwd + a2a + dispatch_bwd + router_bwd;
  p.step = p.forward + p.backward;
  return p;
}

}  // namespace switchsim::model
