// Speed of the CUDA reference's pieces against measured ceilings (behind `switchsim bench
// kernels`): bf16 GEMM peak, device-to-device copy bandwidth, expert GEMMs, dispatch and
// combine, layer forward+backward against the one-hot einsum baseline, NCCL all-to-all busbw.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "ref/cuda/api.hpp"
#include "ref/cuda/counter_hash.hpp"
#include "ref/cuda/device.hpp"
#include "ref/cuda/gemm_params.hpp"
#include "ref/cuda/kernel_emulation.hpp"
#include "ref/cuda/kernels.hpp"
#include "ref/cuda/phase_stats.hpp"
#include "ref/cuda/routing_plan.hpp"

namespace switchsim::ref::cuda {
namespace {

constexpr int kDevice = 0;

// Median seconds of fn() on `stream`, timed with CUDA events, after warm-up.
double time_on_stream(cudaStream_t stream, int warmup, int repeats, const std::function<void()>& fn) {
  Event start(kDevice), end(kDevice);
  for (int i = 0; i < warmup; ++i) fn();
  check_cuda(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) {
    check_cuda(cudaEventRecord(start.get(), stream), "cudaEventRecord");
    fn();
    check_cuda(cudaEventRecord(end.get(), stream), "cudaEventRecord");
    check_cuda(cudaEventSynchronize(end.get()), "cudaEventSynchronize");
    samples.push_back(elapsed_s(start, end));
  }
  return timing_stats(samples).median_s;
}

void gemm(const CublasHandle& h, const RowMajorGemm& g, const void* a, const void* b, void* c_out) {
  const auto c = to_cublas(g);
  const float one = 1.0f, zero = 0.0f;
  check_cublas(cublasGemmStridedBatchedEx(h.get(), c.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N,
                                          c.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(c.m),
                                          static_cast<int>(c.n), static_cast<int>(c.k), &one, b, CUDA_R_16BF,
                                          static_cast<int>(c.ld_first), c.stride_first, a, CUDA_R_16BF,
                                          static_cast<int>(c.ld_second), c.stride_second, &zero, c_out, CUDA_R_16BF,
                                          static_cast<int>(c.ld_c), c.stride_c, static_cast<int>(c.batch),
                                          CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
               g.name.c_str());
}

DeviceBuffer filled_bf16(std::int64_t elements, cudaStream_t stream, std::uint64_t stream_id) {
  DeviceBuffer b(kDevice, elements * 2);
  kernels::init_uniform_bf16(b.get(), elements, 0.5f, 1, stream_id, stream);
  return b;
}

void nccl_alltoall(KernelBench& out, int devices, bool quick) {
  if (devices < 2) {
    out.rows.push_back({"nccl_alltoall", 0, 0, "busGBps", 0, 0, "needs >= 2 GPUs in this process; skipped"});
    return;
  }
  const int n = std::min(devices, 8);
  const std::int64_t bytes = quick ? (16ll << 20) : (256ll << 20);  // per rank, sent in total
  const std::int64_t chunk = bytes / n / 2;                          // bf16 elements per peer
  std::vector<ncclComm_t> comms(static_cast<std::size_t>(n));
  std::vector<int> devs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) devs[static_cast<std::size_t>(i)] = i;
  check_nccl(ncclCommInitAll(comms.data(), n, devs.data()), "ncclCommInitAll");
  std::vector<Stream> streams;
  std::vector<DeviceBuffer> send, recv;
  for (int i = 0; i < n; ++i) {
    streams.emplace_back(i);
    send.emplace_back(i, bytes);
    recv.emplace_back(i, bytes);
  }
  auto run = [&] {
    check_nccl(ncclGroupStart(), "ncclGroupStart");
    for (int r = 0; r < n; ++r)
      for (int p = 0; p < n; ++p) {
        const auto ri = static_cast<std::size_t>(r);
        check_nccl(ncclSend(static_cast<char*>(send[ri].get()) + p * chunk * 2, static_cast<std::size_t>(chunk),
                            ncclBfloat16, p, comms[ri], streams[ri].get()),
                   "ncclSend");
        check_nccl(ncclRecv(static_cast<char*>(recv[ri].get()) + p * chunk * 2, static_cast<std::size_t>(chunk),
                            ncclBfloat16, p, comms[ri], streams[ri].get()),
                   "ncclRecv");
      }
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  };
  auto sync = [&] {
    for (int r = 0; r < n; ++r) {
      check_cuda(cudaSetDevice(r), "cudaSetDevice");
      check_cuda(cudaStreamSynchronize(streams[static_cast<std::size_t>(r)].get()), "cudaStreamSynchronize");
    }
  };
  for (int i = 0; i < 5; ++i) run();
  sync();
  const int iters = quick ? 10 : 50;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) run();
  sync();
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
  for (auto c : comms) ncclCommDestroy(c);
  // nccl-tests: algbw = bytes / time, busbw = algbw * (n - 1) / n for all-to-all.
  const double algbw = static_cast<double>(n * chunk * 2) / t / 1e9;
  out.rows.push_back({fmt::format("nccl_alltoall ranks={} bytes_per_rank={}", n, n * chunk * 2), t,
                      algbw * (n - 1) / n, "busGBps", 0, 0, "grouped ncclSend/ncclRecv, single process"});
  check_cuda(cudaSetDevice(kDevice), "cudaSetDevice");
}

}  // namespace

KernelBench run_kernel_bench(bool quick) {
  const int devices = visible_device_count();
  check_cuda(cudaSetDevice(kDevice), "cudaSetDevice");
  KernelBench out;
  Stream stream(kDevice);
  CublasHandle cublas(kDevice, stream.get());
  const auto s = stream.get();
  const int reps = quick ? 5 : 20;

  {  // bf16 peak: a large square GEMM.
    const std::int64_t n = quick ? 4096 : 8192;
    auto a = filled_bf16(n * n, s, 1), b = filled_bf16(n * n, s, 2), c = filled_bf16(n * n, s, 3);
    const auto g = single_gemm("square", n, n, n);
    const double t = time_on_stream(s, 3, reps, [&] { gemm(cublas, g, a.get(), b.get(), c.get()); });
    out.peak_bf16_tflops = g.flops() / t / 1e12;
    out.rows.push_back({fmt::format("peak_gemm bf16 {}^3", n), t, out.peak_bf16_tflops, "TFLOPps", 0, 0, "the ceiling"});
  }
  {  // memcpy bandwidth: read + write bytes.
    const std::int64_t bytes = quick ? (256ll << 20) : (1ll << 30);
    DeviceBuffer a(kDevice, bytes), b(kDevice, bytes);
    const double t = time_on_stream(s, 2, reps, [&] {
      check_cuda(cudaMemcpyAsync(b.get(), a.get(), static_cast<std::size_t>(bytes), cudaMemcpyDeviceToDevice, s), "memcpy");
    });
    out.memcpy_gbps = 2.0 * static_cast<double>(bytes) / t / 1e9;
    out.rows.push_back({fmt::format("memcpy_d2d bytes={}", bytes), t, out.memcpy_gbps, "GBps", 0, 0, "the ceiling"});
  }
  {  // Expert GEMMs, capacity-padded, strided-batched: [E_local, C, d] x [E_local, d, f].
    struct Shape {
      std::int64_t e, c, d, f;
    };
    std::vector<Shape> shapes{{8, 1024, 1024, 4096}};
    if (!quick) shapes.push_back({8, 1024, 2048, 8192});
    for (const auto& sh : shapes) {
      auto fwd = expert_ffn_forward(sh.e, sh.c, sh.d, sh.f, false);
      const auto bwd = expert_ffn_backward(sh.e, sh.c, sh.d, sh.f, false);
      fwd.insert(fwd.end(), bwd.begin(), bwd.end());
      const std::int64_t big = sh.e * std::max({sh.c * sh.d, sh.c * sh.f, sh.d * sh.f});
      auto a = filled_bf16(big, s, 4), b = filled_bf16(big, s, 5), c = filled_bf16(big, s, 6);
      for (const auto& g : fwd) {
        const double t = time_on_stream(s, 3, reps, [&] { gemm(cublas, g, a.get(), b.get(), c.get()); });
        out.rows.push_back({fmt::format("expert_gemm {} E={} C={} d={} f={}", g.name, sh.e, sh.c, sh.d, sh.f), t,
                            g.flops() / t / 1e12, "TFLOPps", out.peak_bf16_tflops, 0.7, ""});
      }
    }
  }
  {  // Dispatch and combine: top-1, uniform random experts, cf = 1.0.
    const std::int64_t T = quick ? 16384 : 65536, E = 64;
    const std::int64_t C = moe::expert_capacity({.tokens = T, .experts = E, .capacity_factor = 1.0, .min_capacity = 4});
    std::vector<std::int32_t> idx(static_cast<std::size_t>(T));
    for (std::int64_t t = 0; t < T; ++t) idx[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(counter_hash(1, 7, static_cast<std::uint64_t>(t)) % E);
    const auto pos = positions_naive(idx, E);
    const auto slots = capacity_slots(idx, pos.position, T, E, C);
    std::int64_t kept = 0;
    for (const auto x : slots.token_slot) kept += x >= 0;
    std::vector<float> gate(static_cast<std::size_t>(T), 0.5f);
    auto slot_assignment = upload(slots.slot_assignment, kDevice, s);
    auto token_slot = upload(slots.token_slot, kDevice, s);
    auto gates = upload(gate, kDevice, s);
    check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize");  // no copy inside the timed kernels
    for (const std::int64_t d : quick ? std::vector<std::int64_t>{1024} : std::vector<std::int64_t>{1024, 4096}) {
      auto x = filled_bf16(T * d, s, 7);
      auto rows = filled_bf16(E * C * d, s, 8);
      auto y = filled_bf16(T * d, s, 9);
      const double td = time_on_stream(s, 3, reps, [&] {
        kernels::dispatch_rows(x.get(), static_cast<const std::int32_t*>(slot_assignment.get()), rows.get(), E * C, T, d, s);
      });
      const double bytes_d = static_cast<double>(E * C * d * 2 + kept * d * 2 + E * C * 4);
      out.rows.push_back({fmt::format("dispatch T={} E={} C={} d={}", T, E, C, d), td, bytes_d / td / 1e9, "GBps",
                          out.memcpy_gbps, 0.8, "bytes = rows written + tokens read + slot table"});
      const double tc = time_on_stream(s, 3, reps, [&] {
        kernels::combine_rows(rows.get(), static_cast<const std::int32_t*>(token_slot.get()),
                              static_cast<const float*>(gates.get()), y.get(), T, 1, d, s);
      });
      const double bytes_c = static_cast<double>(kept * d * 2 + T * d * 2 + T * 8);
      out.rows.push_back({fmt::format("combine T={} E={} C={} d={}", T, E, C, d), tc, bytes_c / tc / 1e9, "GBps",
                          out.memcpy_gbps, 0.8, "bytes = kept rows read + tokens written + slot/gate tables"});
    }
  }
  {  // Layer forward + backward: our kernels against the one-hot einsum baseline.
    LayerSpec spec;
    spec.target = "cuda";
    spec.dtype = "bf16";
    spec.experts = quick ? 8 : 64;
    spec.tokens_per_rank = quick ? 4096 : 16384;
    spec.d_model = 768;
    spec.d_ff = 2048;
    spec.ffn = "geglu";
    spec.capacity_factor = 1.25;
    RunOptions options;
    options.warmup = 2;
    options.repeats = quick ? 3 : 10;
    const auto ours = measure_layer_detailed(spec, options);
    options.dispatch = DispatchImpl::einsum;
    const auto einsum = measure_layer_detailed(spec, options);
    const double speedup = einsum.measurement.step.median_s / ours.measurement.step.median_s;
    out.rows.push_back({fmt::format("layer_fwd_bwd E={} T={} d=768 f=2048 geglu cf=1.25", spec.experts,
                                    spec.tokens_per_rank),
                        ours.measurement.step.median_s, speedup, "x", 1.0, 1.5,
                        fmt::format("einsum baseline {:.3e} s", einsum.measurement.step.median_s)});
  }
  nccl_alltoall(out, devices, quick);
  return out;
}

}  // namespace switchsim::ref::cuda
