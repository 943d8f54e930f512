// The prediction of the CUDA reference's own algorithm (model/cuda_layer_prediction.hpp), by hand.

#include <catch2/catch.hpp>

#include <algorithm>

#include "compute/kernel_model.hpp"
#include "model/cuda_layer_prediction.hpp"
#include "model/layer_prediction.hpp"
#include "zero_comm.hpp"

using namespace switchsim;
using namespace switchsim::model;

namespace {
// 1 TB/s, no kernel overhead, bf16 at 1 PFLOP/s with efficiency exactly 1 (one compute unit and
// a 1-row tile: no wave or tile quantization), fp32 at 64 TFLOP/s.
config::ClusterConfig hand_cluster(std::int64_t devices) {
  config::ClusterConfig c;
  c.name = "hand";
  c.devices = devices;
  auto& d = c.device;
  d.name = "hand";
  d.kind = "gpu";
  d.peak_bf16 = FlopsPerSecond(1e15);
  d.peak_tf32 = FlopsPerSecond(5e14);
  d.peak_fp32 = FlopsPerSecond(64e12);
  d.memory = Bytes(1LL << 40);
  d.memory_bandwidth = BytesPerSecond(1e12);
  d.memory_efficiency = 1.0;
  d.gemm_efficiency = 1.0;
  d.gemm_tile = 1;
  d.compute_units = 1;
  d.kernel_overhead = Picoseconds(0);
  return c;
}

using switchsim::test::ZeroComm;

LayerScenario cuda_layer(std::int64_t ranks, std::int64_t experts) {
  LayerScenario s;
  s.d_model = 256;
  s.d_ff = 1024;
  s.experts = experts;
  s.ranks = ranks;
  s.tokens_per_rank = 512 * ranks;
  s.capacity_factor = 1.0;
  s.dtype = DType::bf16;
  s.router_dtype = DType::fp32;
  return s;
}
}  // namespace

TEST_CASE("with one GPU the CUDA all-to-all is a device copy of the rank's E*C rows, not zero") {
  // T = 512, E = 8: C = 64, 512 rows of 256 bf16 = 262,144 bytes, read + written = 524,288 bytes
  // at 1 TB/s = 0.524288 us per exchange; the phase is forward + backward = 1.048576 us.
  const auto s = cuda_layer(1, 8);
  ZeroComm comm;
  const auto p = predict_cuda_layer(s, hand_cluster(1), comm);
  CHECK(p.capacity == 64);
  CHECK(p.phase.at("alltoall_dispatch").seconds() == Approx(1.048576e-6));
  CHECK(p.phase.at("alltoall_combine").seconds() == Approx(1.048576e-6));
}

TEST_CASE("the CUDA expert phase is R strided-batched GEMMs of C rows, with no regrouping copies") {
  // R = 2, E = 4 (2 local), T = 1024 per rank: C = 256. Per source rank, forward: X W1 and H W2,
  // each 2 experts x 2 x 256 x 1024 x 256 = 268,435,456 FLOPs; backward twice that. Over 2 source
  // ranks: 3 x 2 x 2 x 268,435,456 = 3,221,225,472 FLOPs at 1 PFLOP/s = 3.221225472 us. The
  // activation passes: 1,024 rows x 1,024 x 2 bytes = 2 MiB each, 2 passes forward and 3
  // backward: 10,485,760 bytes, at 1 PB/s (so that every GEMM is compute-bound: its operands,
  // 2.36 MB, take 2.4 ns) 10.48576 ns. Nothing else: no regrouping copies.
  const auto s = cuda_layer(2, 4);
  ZeroComm comm;
  auto cluster = hand_cluster(2);
  cluster.device.memory_bandwidth = BytesPerSecond(1e15);
  const auto p = predict_cuda_layer(s, cluster, comm);
  CHECK(p.capacity == 256);
  // (Each kernel's time is rounded up to a picosecond; regrouping copies would add 4.2 ns = 1.3e-3.)
  CHECK(p.phase.at("expert_ffn").seconds() == Approx(3.221225472e-6 + 10.48576e-9).epsilon(1e-4));
}

TEST_CASE("the tiled router kernel runs at 1/8 of the fp32 peak on dimensions padded to 16") {
  // 4096 tokens x 8 experts x d 256: padded to 4096 x 16 x 256 = 2 x 16,777,216 FLOPs at
  // 64 TFLOP/s / 8 = 8 TFLOP/s = 4.194304 us. Its bytes: x (2 B) read once per column tile
  // (4096 x 256 x 2 = 2 MiB), W (fp32) once per row tile (256 x 8 x 4 x 256 tiles = 2 MiB),
  // logits written (131,072 B): 4.325 us at 1 TB/s; the larger of the two counts.
  const auto cluster = hand_cluster(1);
  const compute::KernelModel kernels(cluster.device);
  CHECK(kTiledRouterPeakFraction == 0.125);
  const double bytes_s = (2097152.0 + 2097152.0 + 131072.0) / 1e12;
  CHECK(tiled_router_gemm_time(kernels, 4096, 8, 256, 2).seconds() == Approx(std::max(4.194304e-6, bytes_s)));
  // With a 16-times faster memory the arithmetic bound shows.
  auto fast = cluster;
  fast.device.memory_bandwidth = BytesPerSecond(16e12);
  const compute::KernelModel fast_kernels(fast.device);
  CHECK(tiled_router_gemm_time(fast_kernels, 4096, 8, 256, 2).seconds() == Approx(4.194304e-6));
}

TEST_CASE("the CUDA prediction adds up: step = forward + backward = the sum of the phases") {
  ZeroComm comm;
  for (const std::int64_t ranks : {1, 2}) {
    auto s = cuda_layer(ranks, 8);
    s.padding = ranks == 1 ? Padding::capacity : Padding::dropless;
    auto cluster = hand_cluster(ranks);
    cluster.device.kernel_overhead = Picoseconds(3'000'000);  // 3 us per kernel
    const auto p = predict_cuda_layer(s, cluster, comm);
    Picoseconds sum{0};
    for (const auto& [name, t] : p.phase) sum += t;
    CHECK(p.step == p.forward + p.backward);
    CHECK(p.step == sum);
    CHECK(p.phase.at("router") > Picoseconds(0));
  }
}
