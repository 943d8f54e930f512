// `run_kernel_checks`: each kernel fix of issue 16 run on the GPU at the size that used to fail,
// compared with the CPU emulation (kernel_emulation.hpp) on the same inputs.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "moe/capacity.hpp"
#include "ref/cuda/api.hpp"
#include "ref/cuda/counter_hash.hpp"
#include "ref/cuda/device.hpp"
#include "ref/cuda/kernel_emulation.hpp"
#include "ref/cuda/kernels.hpp"
#include "ref/cuda/launch_geometry.hpp"
#include "ref/cuda/routing_plan.hpp"

namespace switchsim::ref::cuda {
namespace {

template <typename T>
std::vector<T> download(const DeviceBuffer& b, std::size_t n, cudaStream_t s) {
  std::vector<T> host(n);
  check_cuda(cudaMemcpyAsync(host.data(), b.get(), n * sizeof(T), cudaMemcpyDeviceToHost, s), "check D2H");
  check_cuda(cudaStreamSynchronize(s), "check sync");
  return host;
}

// fp32 -> bf16 -> fp32, round to nearest even (what __float2bfloat16 does for finite values).
float round_bf16(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, 4);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  bits &= 0xffff0000u;
  float y = 0;
  std::memcpy(&y, &bits, 4);
  return y;
}

std::vector<float> bf16_to_float(const std::vector<std::uint16_t>& raw) {
  std::vector<float> out(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::uint32_t bits = static_cast<std::uint32_t>(raw[i]) << 16;
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

std::vector<float> logits_of(std::int64_t n, std::uint64_t seed) {
  std::vector<float> l(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = 2.0f * counter_uniform(seed, 7, i);
  return l;
}

nlohmann::json row(const std::string& name, bool passed, const std::string& detail) {
  return {{"name", name}, {"passed", passed}, {"detail", detail}};
}

nlohmann::json check_make_slots(cudaStream_t s) {
  const std::int64_t T = 50'000, E = 64;
  const int k = 2;
  const auto r = softmax_topk_warp(logits_of(T * E, 1), T, E, k);
  const auto p = positions_naive(r.expert_index, E);
  const std::int64_t C = moe::expert_capacity({.tokens = T, .experts = E, .top_k = k, .capacity_factor = 1.0, .min_capacity = 4});
  const auto want = capacity_slots(r.expert_index, p.position, T, E, C);
  auto idx = upload(r.expert_index, 0, s);
  auto pos = upload(p.position, 0, s);
  DeviceBuffer offsets(0, 4 * (E + 1));
  DeviceBuffer token_slot(0, 4 * T * k);
  DeviceBuffer slot_assignment(0, 4 * E * C);
  check_cuda(cudaMemsetAsync(slot_assignment.get(), 0xff, static_cast<std::size_t>(4 * E * C), s), "memset");
  check_cuda(cudaMemsetAsync(token_slot.get(), 0x7f, static_cast<std::size_t>(4 * T * k), s), "memset");  // poison
  // 3 blocks of 256 threads for 100,000 assignments: 131 passes of the grid-stride loop.
  kernels::make_slots(static_cast<std::int32_t*>(idx.get()), static_cast<std::int32_t*>(pos.get()),
                      static_cast<std::int32_t*>(offsets.get()), static_cast<std::int32_t*>(token_slot.get()),
                      static_cast<std::int32_t*>(slot_assignment.get()), T * k, C, s, 3);
  const auto ts = download<std::int32_t>(token_slot, static_cast<std::size_t>(T * k), s);
  const auto sa = download<std::int32_t>(slot_assignment, static_cast<std::size_t>(E * C), s);
  const bool ok = ts == want.token_slot && sa == want.slot_assignment;
  return row("make_slots_grid_stride", ok,
             fmt::format("{} assignments on a grid of 3 blocks: slots {} the emulation's", T * k, ok ? "equal" : "DIFFER from"));
}

nlohmann::json check_dense(cudaStream_t s) {
  const std::int64_t T = 4096, E = 8;
  const int k = 2;
  const auto r = softmax_topk_warp(logits_of(T * E, 2), T, E, k);
  const auto p = positions_naive(r.expert_index, E);
  const std::int64_t C = moe::expert_capacity({.tokens = T, .experts = E, .top_k = k, .capacity_factor = 1.25, .min_capacity = 4});
  const std::int64_t S = E * C;
  const auto slots = capacity_slots(r.expert_index, p.position, T, E, C);
  auto ts = upload(slots.token_slot, 0, s);
  auto gate = upload(r.gate, 0, s);
  DeviceBuffer dense(0, 2 * T * S);
  DeviceBuffer d_gate(0, 4 * T * k);
  check_cuda(cudaMemsetAsync(dense.get(), 0, static_cast<std::size_t>(2 * T * S), s), "memset");
  check_cuda(cudaMemsetAsync(d_gate.get(), 0xff, static_cast<std::size_t>(4 * T * k), s), "memset");  // NaN
  kernels::scatter_dense(static_cast<std::int32_t*>(ts.get()), static_cast<float*>(gate.get()), dense.get(), T * k, T, S,
                         s, 2);
  kernels::gather_dense(static_cast<std::int32_t*>(ts.get()), dense.get(), static_cast<float*>(d_gate.get()), T * k, T,
                        S, s, 2);
  const auto got = bf16_to_float(download<std::uint16_t>(dense, static_cast<std::size_t>(T * S), s));
  auto want = combine_weights(slots.token_slot, r.gate, T, S);
  for (auto& w : want) w = round_bf16(w);
  const auto dg = download<float>(d_gate, static_cast<std::size_t>(T * k), s);
  bool ok = got == want;
  for (std::size_t a = 0; a < dg.size(); ++a)
    ok = ok && dg[a] == (slots.token_slot[a] >= 0 ? round_bf16(r.gate[a]) : 0.0f);
  return row("scatter_gather_dense_grid_stride", ok,
             fmt::format("{} assignments into [{}, {}] on a grid of 2 blocks: {}", T * k, T, S,
                         ok ? "dense weights and gate gradients equal the emulation's" : "MISMATCH"));
}

nlohmann::json check_nonfinite(cudaStream_t s) {
  const std::int64_t T = 1000, E = 64;
  const int k = 2;
  auto logits = logits_of(T * E, 3);
  for (std::int64_t t = 0; t < T; t += 7) logits[static_cast<std::size_t>(t * E + t % E)] = std::numeric_limits<float>::quiet_NaN();
  for (std::int64_t t = 3; t < T; t += 11) logits[static_cast<std::size_t>(t * E)] = std::numeric_limits<float>::infinity();
  const auto want = softmax_topk_warp(logits, T, E, k);
  auto dl = upload(logits, 0, s);
  DeviceBuffer probs(0, 4 * T * E), idx(0, 4 * T * k), gate(0, 4 * T * k), count(0, 4);
  check_cuda(cudaMemsetAsync(count.get(), 0, 4, s), "memset");
  kernels::softmax_topk(static_cast<float*>(dl.get()), static_cast<float*>(probs.get()),
                        static_cast<std::int32_t*>(idx.get()), static_cast<float*>(gate.get()),
                        static_cast<std::int32_t*>(count.get()), T, E, k, s);
  const auto got_idx = download<std::int32_t>(idx, static_cast<std::size_t>(T * k), s);
  const auto got_count = download<std::int32_t>(count, 1, s)[0];
  const bool in_range = std::all_of(got_idx.begin(), got_idx.end(), [&](std::int32_t e) { return e >= 0 && e < E; });
  const bool ok = in_range && got_idx == want.expert_index && got_count == want.nonfinite_tokens;
  return row("softmax_topk_nonfinite", ok,
             fmt::format("{} of {} tokens with NaN/inf logits: counted {} (emulation {}), experts {}", want.nonfinite_tokens,
                         T, got_count, want.nonfinite_tokens, ok ? "equal the emulation's" : "DIFFER"));
}

nlohmann::json check_router_rows(cudaStream_t s) {
  const std::int64_t T = 1'100'000, d = 32, E = 8;  // > 65,535 * 16 = 1,048,560 tokens
  DeviceBuffer x(0, 2 * T * d), w(0, 4 * d * E), logits(0, 4 * T * E);
  kernels::init_uniform_bf16(x.get(), T * d, 1.0f, 5, 1, s);
  kernels::init_uniform_f32(static_cast<float*>(w.get()), d * E, 0.5f, 5, 2, s);
  check_cuda(cudaMemsetAsync(logits.get(), 0xff, static_cast<std::size_t>(4 * T * E), s), "memset");  // NaN
  kernels::router_gemm(x.get(), true, d, 1, static_cast<float*>(w.get()), E, 1, static_cast<float*>(logits.get()), T, E,
                       d, nullptr, false, s);
  const auto got = download<float>(logits, static_cast<std::size_t>(T * E), s);
  double worst = 0;
  bool written = true;
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t e = 0; e < E; ++e) written = written && !std::isnan(got[static_cast<std::size_t>(t * E + e)]);
  for (const std::int64_t t : {std::int64_t{0}, std::int64_t{1'048'559}, std::int64_t{1'048'560}, T - 1}) {
    for (std::int64_t e = 0; e < E; ++e) {
      double want = 0;
      for (std::int64_t i = 0; i < d; ++i)
        want += static_cast<double>(round_bf16(counter_uniform(5, 1, static_cast<std::uint64_t>(t * d + i)))) *
                (0.5f * counter_uniform(5, 2, static_cast<std::uint64_t>(i * E + e)));
      worst = std::max(worst, std::abs(want - got[static_cast<std::size_t>(t * E + e)]));
    }
  }
  const bool ok = written && worst < 1e-4;
  return row("router_gemm_rows_past_grid_y", ok,
             fmt::format("{} tokens ({} row tiles > 65,535): {} logits written, max |err| {:.2e} on rows around the "
                         "old limit",
                         T, (T + 15) / 16, written ? "all" : "NOT all", worst));
}

nlohmann::json check_scan_many_experts(cudaStream_t s) {
  const std::int64_t A = 200'000, E = 16'384;  // 64 KiB of shared memory per block (> 48 KiB)
  std::vector<std::int32_t> idx(static_cast<std::size_t>(A));
  for (std::size_t a = 0; a < idx.size(); ++a) idx[a] = static_cast<std::int32_t>(counter_hash(6, 1, a) % E);
  const auto want = positions_naive(idx, E);
  const auto l = scan_launch(A, E, 1024);
  auto didx = upload(idx, 0, s);
  DeviceBuffer chunk_counts(0, 4 * l.chunks * E), counts(0, 4 * E), pos(0, 4 * A);
  kernels::expert_positions(static_cast<std::int32_t*>(didx.get()), static_cast<std::int32_t*>(chunk_counts.get()),
                            static_cast<std::int32_t*>(counts.get()), static_cast<std::int32_t*>(pos.get()), A, E, 1024, s);
  const auto got = download<std::int32_t>(pos, static_cast<std::size_t>(A), s);
  const auto got_counts = download<std::int32_t>(counts, static_cast<std::size_t>(E), s);
  const bool ok = got == want.position &&
                  std::equal(got_counts.begin(), got_counts.end(), want.expert_counts.begin(),
                             [](std::int32_t a, std::int64_t b) { return a == b; });
  return row("position_scan_64KiB_shared", ok,
             fmt::format("{} experts ({} bytes of shared memory, opt-in): positions {} the sequential count's", E,
                         l.shared_bytes, ok ? "equal" : "DIFFER from"));
}

nlohmann::json check_aux_backward(cudaStream_t s) {
  const std::int64_t T = 2048, E = 16;
  const int k = 2;
  const auto r = softmax_topk_warp(logits_of(T * E, 4), T, E, k);
  std::vector<float> d_gate(static_cast<std::size_t>(T * k));
  for (std::size_t i = 0; i < d_gate.size(); ++i) d_gate[i] = counter_uniform(4, 9, i);
  const auto want = router_logit_grad(r.probs, r.expert_index, d_gate, T, E, k, kAuxAlpha);
  auto probs = upload(r.probs, 0, s);
  auto idx = upload(r.expert_index, 0, s);
  auto dg = upload(d_gate, 0, s);
  DeviceBuffer first(0, 4 * E), dl(0, 4 * T * E);
  kernels::softmax_topk_backward(static_cast<float*>(probs.get()), static_cast<std::int32_t*>(idx.get()),
                                 static_cast<float*>(dg.get()), static_cast<std::int32_t*>(first.get()),
                                 static_cast<float>(kAuxAlpha), static_cast<float*>(dl.get()), T, E, k, s);
  const auto got = download<float>(dl, static_cast<std::size_t>(T * E), s);
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, double(std::abs(got[i] - want[i])));
  const bool ok = worst < 1e-6;
  return row("router_backward_aux_loss", ok,
             fmt::format("d_logits with the aux-loss gradient (alpha {}): max |err| {:.2e} against the emulation",
                         kAuxAlpha, worst));
}

}  // namespace

nlohmann::json run_kernel_checks() {
  visible_device_count();  // NoCudaDevice without one
  check_cuda(cudaSetDevice(0), "cudaSetDevice");
  Stream stream(0);
  const auto s = stream.get();
  nlohmann::json checks = nlohmann::json::array();
  bool all = true;
  const std::vector<std::function<nlohmann::json(cudaStream_t)>> list{
      check_make_slots, check_dense, check_nonfinite, check_router_rows, check_scan_many_experts, check_aux_backward};
  for (const auto& check : list) {
    nlohmann::json r;
    try {
      r = check(s);
    } catch (const NoCudaDevice&) {
      throw;
    } catch (const std::exception& e) {
      r = row("error", false, e.what());
    }
    all = all && r.at("passed").get<bool>();
    checks.push_back(r);
  }
  return {{"passed", all}, {"checks", checks}};
}

}  // namespace switchsim::ref::cuda
