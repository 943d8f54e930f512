// Host-side logic of the CUDA reference (ref/cuda), checked on the CPU: routing bookkeeping,
// cuBLAS parameters, launch geometry, workspace sizes, and emulations of the kernels'
// algorithms against naive loops. Values in comments are worked out by hand.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "moe/capacity.hpp"
#include "cli_runner.hpp"
#include "ref/cuda/api.hpp"
#include "ref/cuda/counter_hash.hpp"
#include "ref/cuda/gemm_params.hpp"
#include "ref/cuda/kernel_emulation.hpp"
#include "ref/cuda/launch_geometry.hpp"
#include "ref/cuda/phase_stats.hpp"
#include "ref/cuda/routing_bias.hpp"
#include "ref/cuda/routing_plan.hpp"
#include "ref/cuda/workspace.hpp"

using namespace switchsim::ref::cuda;

TEST_CASE("expert capacity is ceil(cf*T/E), at least min_capacity, times k for top-k") {
  CHECK(switchsim::moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 128);
  CHECK(switchsim::moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 1, .capacity_factor = 1.25, .min_capacity = 4}) == 160);
  CHECK(switchsim::moe::expert_capacity({.tokens = 100, .experts = 8, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 13);   // 12.5 rounds up
  CHECK(switchsim::moe::expert_capacity({.tokens = 64, .experts = 8, .top_k = 1, .capacity_factor = 1.25, .min_capacity = 4}) == 10);   // 10.000000000000002 is still 10
  CHECK(switchsim::moe::expert_capacity({.tokens = 16, .experts = 64, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}) == 4);    // 0.25 -> 1, raised to min_capacity
  CHECK(switchsim::moe::expert_capacity({.tokens = 1024, .experts = 8, .top_k = 2, .capacity_factor = 1.0, .min_capacity = 4}) == 256);
  CHECK_THROWS(switchsim::moe::expert_capacity({.tokens = 16, .experts = 0, .top_k = 1, .capacity_factor = 1.0, .min_capacity = 4}));
}

TEST_CASE("per-expert counts become offsets, drops and the Switch auxiliary loss") {
  const std::vector<std::int64_t> counts{3, 0, 5, 2};
  CHECK(exclusive_offsets(counts) == std::vector<std::int64_t>{0, 3, 3, 8, 10});
  CHECK(clamp_counts(counts, 2) == std::vector<std::int64_t>{2, 0, 2, 2});
  // 16 assignments, capacity 3: 7 + 1 dropped = half.
  const std::vector<std::int64_t> skewed{10, 2, 0, 4};
  CHECK(dropped_fraction(skewed, 3) == Approx(0.5));
  // Balanced: alpha * E * sum(1/4 * 1/4) = 0.01 * 4 * 0.25 = alpha.
  CHECK(aux_loss(std::vector<std::int64_t>{2, 2, 2, 2}, std::vector<double>{.25, .25, .25, .25}) == Approx(0.01));
  // All on one expert with all the probability: alpha * E.
  CHECK(aux_loss(std::vector<std::int64_t>{4, 0, 0, 0}, std::vector<double>{1, 0, 0, 0}) == Approx(0.04));
}

TEST_CASE("alltoallv counts and displacements follow the expert sharding of 2 ranks x 2 experts") {
  const std::vector<std::vector<std::int64_t>> counts{{1, 2, 3, 4}, {5, 6, 7, 8}};
  const auto r0 = alltoallv_plan(counts, 0);
  CHECK(r0.send_counts == std::vector<std::int64_t>{3, 7});
  CHECK(r0.send_displs == std::vector<std::int64_t>{0, 3});
  CHECK(r0.recv_counts == std::vector<std::int64_t>{3, 11});
  CHECK(r0.recv_displs == std::vector<std::int64_t>{0, 3});
  CHECK(r0.send_total == 10);
  CHECK(r0.recv_total == 14);
  const auto r1 = alltoallv_plan(counts, 1);
  CHECK(r1.send_counts == std::vector<std::int64_t>{11, 15});
  CHECK(r1.recv_counts == std::vector<std::int64_t>{7, 15});
  CHECK(r1.recv_displs == std::vector<std::int64_t>{0, 7});
  CHECK(r1.recv_total == 22);
  const auto groups = received_groups(counts, 1);
  REQUIRE(groups.size() == 4);
  CHECK(groups[0].row_offset == 0);
  CHECK(groups[0].rows == 3);
  CHECK(groups[1].row_offset == 3);
  CHECK(groups[1].rows == 4);
  CHECK(groups[2].source_rank == 1);
  CHECK(groups[2].local_expert == 0);
  CHECK(groups[2].row_offset == 7);
  CHECK(groups[2].rows == 7);
  CHECK(groups[3].row_offset == 14);
  CHECK(groups[3].rows == 8);
  CHECK_THROWS(alltoallv_plan({{1, 2, 3}, {4, 5, 6}}, 0));  // 3 experts on 2 ranks
}

TEST_CASE("the capacity-padded all-to-all sends E_local*C tokens to every rank") {
  const auto p = alltoall_even_plan(4, 2, 10);
  CHECK(p.send_counts == std::vector<std::int64_t>{20, 20, 20, 20});
  CHECK(p.recv_displs == std::vector<std::int64_t>{0, 20, 40, 60});
  CHECK(p.send_total == 80);
}

TEST_CASE("row-major expert GEMMs map to cuBLAS strided-batched arguments") {
  // 8 experts, C = 160, d = 1024, d_ff = 4096, ReLU.
  const auto fwd = expert_ffn_forward(8, 160, 1024, 4096, false);
  REQUIRE(fwd.size() == 2);
  const auto w1 = to_cublas(fwd[0]);  // A = X W1: cuBLAS computes A^T = W1^T X^T
  CHECK_FALSE(w1.transpose_first);
  CHECK_FALSE(w1.transpose_second);
  CHECK(w1.m == 4096);
  CHECK(w1.n == 160);
  CHECK(w1.k == 1024);
  CHECK(w1.ld_first == 4096);   // W1 [1024, 4096]
  CHECK(w1.ld_second == 1024);  // X [160, 1024]
  CHECK(w1.ld_c == 4096);
  CHECK(w1.stride_first == 1024 * 4096);
  CHECK(w1.stride_second == 160 * 1024);
  CHECK(w1.stride_c == 160 * 4096);
  CHECK(w1.batch == 8);
  CHECK(fwd[0].flops() == Approx(2.0 * 160 * 4096 * 1024 * 8));

  const auto bwd = expert_ffn_backward(8, 160, 1024, 4096, false);
  REQUIRE(bwd.size() == 4);
  const auto dh = to_cublas(bwd[0]);  // dH = dY W2^T, W2 stored [4096, 1024]
  CHECK(dh.transpose_first);
  CHECK_FALSE(dh.transpose_second);
  CHECK(dh.m == 4096);
  CHECK(dh.n == 160);
  CHECK(dh.k == 1024);
  CHECK(dh.ld_first == 1024);
  CHECK(dh.ld_second == 1024);
  const auto dw2 = to_cublas(bwd[1]);  // dW2 = H^T dY, H stored [160, 4096]
  CHECK_FALSE(dw2.transpose_first);
  CHECK(dw2.transpose_second);
  CHECK(dw2.m == 1024);
  CHECK(dw2.n == 4096);
  CHECK(dw2.k == 160);
  CHECK(dw2.ld_first == 1024);
  CHECK(dw2.ld_second == 4096);
  CHECK(dw2.ld_c == 1024);
  CHECK(dw2.stride_c == 4096 * 1024);
}

TEST_CASE("the einsum baseline's dispatch GEMM reads the [T, S] mask transposed") {
  // dispatched[S=64, d=32] = mask^T x with mask stored [T=16, S=64]: cuBLAS gets x first.
  const auto c = to_cublas(single_gemm("einsum_dispatch", 64, 32, 16, true, false));
  CHECK_FALSE(c.transpose_first);
  CHECK(c.transpose_second);
  CHECK(c.m == 32);
  CHECK(c.n == 64);
  CHECK(c.k == 16);
  CHECK(c.ld_first == 32);   // x [16, 32]
  CHECK(c.ld_second == 64);  // mask [16, 64]
  CHECK(c.ld_c == 32);
  CHECK(c.batch == 1);
}

TEST_CASE("expert FFN backward has twice the forward FLOPs, for ReLU and GEGLU") {
  for (const bool geglu : {false, true}) {
    double f = 0, b = 0;
    for (const auto& g : expert_ffn_forward(4, 96, 768, 2048, geglu)) f += g.flops();
    for (const auto& g : expert_ffn_backward(4, 96, 768, 2048, geglu)) b += g.flops();
    CHECK(b == Approx(2 * f));
    CHECK(f == Approx((geglu ? 3 : 2) * 2.0 * 4 * 96 * 768 * 2048));
  }
  const auto bwd = expert_ffn_backward(4, 96, 768, 2048, true);
  REQUIRE(bwd.size() == 6);
  CHECK(bwd[4].name == "bwd_dx_w1");
  CHECK(bwd[4].accumulate);  // dX = dB W3^T + dA W1^T
}

TEST_CASE("memory-bound kernels use 16-byte vectors when the row length allows") {
  CHECK(vector_elements(1024, 2) == 8);
  CHECK(vector_elements(1004, 2) == 4);
  CHECK(vector_elements(1001, 2) == 1);
  CHECK(vector_elements(768, 4) == 4);
  const auto a = row_launch(1280, 1024, 2);  // 128 vectors per row
  CHECK(a.vector == 8);
  CHECK(a.threads_per_row == 128);
  CHECK(a.rows_per_block == 2);
  CHECK(a.grid == 640);
  const auto b = row_launch(100, 4096, 2);  // 512 vectors: a whole block, two loads per thread
  CHECK(b.threads_per_row == 256);
  CHECK(b.rows_per_block == 1);
  CHECK(b.grid == 100);
  const auto c = row_launch(10, 256, 2);  // 32 vectors: a warp per row, 8 rows per block
  CHECK(c.threads_per_row == 32);
  CHECK(c.rows_per_block == 8);
  CHECK(c.grid == 2);
  CHECK(token_launch(1000).grid == 125);
  const auto s = scan_launch(4096, 64);
  CHECK(s.chunks == 4);
  CHECK(s.shared_bytes == 256);
  CHECK(scan_launch(0, 8).chunks == 1);
}

TEST_CASE("the workspace lists every tensor at 256-byte aligned offsets") {
  LayerShape shape;
  shape.tokens = 4;
  shape.d_model = 8;
  shape.d_ff = 16;
  shape.experts = 4;
  shape.capacity = 2;
  shape.backward = false;
  const auto w = layer_workspace(shape);
  // 23 forward tensors: w1 and w2 are 4*8*16*2 = 1024 bytes, the other 21 (nonfinite_tokens
  // among them) fit in 256 each.
  CHECK(w.tensors.size() == 23);
  CHECK(w.total_bytes == 21 * 256 + 2 * 1024);
  REQUIRE(w.find("dispatched"));
  CHECK(w.find("dispatched")->bytes == 4 * 2 * 8 * 2);  // [E*C, d] bf16
  CHECK(w.find("router_w")->offset == 256);
  CHECK(w.find("probs")->bytes == 4 * 4 * 4);
  CHECK_FALSE(w.find("dy"));
  shape.dropless = true;
  shape.ranks = 2;
  shape.top_k = 2;
  const auto dl = layer_workspace(shape);
  CHECK(dl.find("dispatched")->shape == std::vector<std::int64_t>{8, 8});    // T*k rows
  CHECK(dl.find("expert_in")->shape == std::vector<std::int64_t>{16, 8});    // R*T*k rows
  CHECK(dl.find("w1")->shape == std::vector<std::int64_t>{2, 8, 16});        // E/R experts here
  shape.ranks = 3;
  CHECK_THROWS(layer_workspace(shape));
}

TEST_CASE("timing statistics interpolate percentiles like numpy") {
  const std::vector<double> s{5, 1, 4, 2, 3};
  const auto t = timing_stats(s);
  CHECK(t.median_s == Approx(3));
  CHECK(t.p10_s == Approx(1.4));
  CHECK(t.p90_s == Approx(4.6));
  CHECK(t.repeats == 5);
}

TEST_CASE("routing specs become per-expert probabilities and logit biases") {
  for (const auto b : switchsim::ref::cuda::routing_bias("uniform", 8)) CHECK(b == 0.0f);
  const auto hot = routing_probabilities("hot:0.5", 4);
  CHECK(hot[0] == Approx(0.5));
  CHECK(hot[3] == Approx(1.0 / 6));
  CHECK(switchsim::ref::cuda::routing_bias("hot:0.5", 4)[0] == Approx(std::log(2.0)));
  const auto zipf = routing_probabilities("zipf:1", 3);  // 1, 1/2, 1/3 over 11/6
  CHECK(zipf[0] == Approx(6.0 / 11));
  CHECK(zipf[2] == Approx(2.0 / 11));
  CHECK_THROWS(routing_probabilities("zipf:", 4));
  CHECK_THROWS(routing_probabilities("hot:1.5", 4));
  CHECK_THROWS(routing_probabilities("gauss", 4));
  CHECK(router_weight_scale(9) == Approx(kRouterLogitStd));
}

TEST_CASE("counter-based random numbers are deterministic, between -1 and 1, and centred") {
  CHECK(counter_uniform(1, 2, 3) == counter_uniform(1, 2, 3));
  CHECK(counter_uniform(1, 2, 3) != counter_uniform(2, 2, 3));
  double sum = 0;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const float v = counter_uniform(7, 1, i);
    REQUIRE(v >= -1.0f);
    REQUIRE(v < 1.0f);
    sum += v;
  }
  CHECK(std::abs(sum / 20000) < 0.02);  // std of the mean is 0.004
}

namespace {
std::vector<float> random_logits(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = 4.0f * counter_uniform(seed, 9, static_cast<std::uint64_t>(i));
  return v;
}
}  // namespace

TEST_CASE("warp softmax + top-k picks what the naive loop picks") {
  // By hand: logits {0, ln 3} -> probabilities 1/4, 3/4, expert 1 wins with gate 3/4.
  const std::vector<float> two{0.0f, static_cast<float>(std::log(3.0))};
  const auto r = softmax_topk_warp(two, 1, 2, 1);
  CHECK(r.probs[0] == Approx(0.25));
  CHECK(r.expert_index[0] == 1);
  CHECK(r.gate[0] == Approx(0.75));
  // Ties go to the lower expert index.
  const std::vector<float> tie{1, 1, 1};
  const auto t = softmax_topk_warp(tie, 1, 3, 2);
  CHECK(t.expert_index == std::vector<std::int32_t>{0, 1});
  for (const std::int64_t E : {8, 40, 64, 128}) {
    for (const int k : {1, 2}) {
      const std::int64_t T = 64;
      const auto logits = random_logits(T * E, static_cast<std::uint64_t>(E * 10 + k));
      const auto w = softmax_topk_warp(logits, T, E, k);
      const auto n = softmax_topk_naive(logits, T, E, k);
      CHECK(w.expert_index == n.expert_index);
      for (std::size_t i = 0; i < w.probs.size(); ++i) REQUIRE(w.probs[i] == Approx(n.probs[i]).margin(1e-6));
      for (std::size_t i = 0; i < w.gate.size(); ++i) REQUIRE(w.gate[i] == Approx(n.gate[i]).margin(1e-6));
    }
  }
}

TEST_CASE("the chunked warp scan gives each assignment its position in its expert") {
  // By hand: experts {2,0,2,2,1,0} -> positions {0,0,1,2,0,1}, counts {2,1,3}.
  const std::vector<std::int32_t> idx{2, 0, 2, 2, 1, 0};
  const auto p = positions_chunked(idx, 3, 32);
  CHECK(p.position == std::vector<std::int32_t>{0, 0, 1, 2, 0, 1});
  CHECK(p.expert_counts == std::vector<std::int64_t>{2, 1, 3});
  // Against the sequential loop, with many chunks and skew (half the assignments to expert 0).
  std::vector<std::int32_t> many(3000);
  for (std::size_t a = 0; a < many.size(); ++a) {
    const auto h = counter_hash(3, 4, a);
    many[a] = (h & 1) ? 0 : static_cast<std::int32_t>((h >> 8) % 16);
  }
  for (const std::int64_t chunk : {32, 64, 1024}) {
    const auto c = positions_chunked(many, 16, chunk);
    const auto n = positions_naive(many, 16);
    CHECK(c.position == n.position);
    CHECK(c.expert_counts == n.expert_counts);
  }
}

TEST_CASE("capacity slots drop the assignments past C and invert to slot -> assignment") {
  const std::vector<std::int32_t> idx{2, 0, 2, 2, 1, 0};
  const std::vector<std::int32_t> pos{0, 0, 1, 2, 0, 1};
  const auto s = capacity_slots(idx, pos, 6, 3, 2);
  CHECK(s.token_slot == std::vector<std::int32_t>{4, 0, 5, -1, 2, 1});
  CHECK(s.slot_assignment == std::vector<std::int32_t>{1, 5, 4, -1, 0, 2});
  const std::vector<std::int64_t> counts{2, 1, 3};
  const auto d = dropless_slots(idx, pos, 6, counts);  // offsets {0, 2, 3}
  CHECK(d.token_slot == std::vector<std::int32_t>{3, 0, 4, 5, 2, 1});
  CHECK(d.slot_assignment == std::vector<std::int32_t>{1, 5, 4, 0, 2, 3});
}

TEST_CASE("gather dispatch and combine equal the one-hot einsum formulation") {
  const std::int64_t T = 48, E = 4, d = 8, k = 2;
  const auto logits = random_logits(T * E, 11);
  const auto r = softmax_topk_warp(logits, T, E, k);
  const auto p = positions_chunked(r.expert_index, E, 32);
  const std::int64_t C = switchsim::moe::expert_capacity({.tokens = T, .experts = E, .top_k = k, .capacity_factor = 1.0, .min_capacity = 4});  // 24: some assignments dropped
  const auto s = capacity_slots(r.expert_index, p.position, T, E, C);
  std::vector<float> x(static_cast<std::size_t>(T * d));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = counter_uniform(5, 1, i);
  const auto mask = dispatch_mask(s.token_slot, T, E * C);
  CHECK(dispatch_gather(x, s.slot_assignment, T, d) == dispatch_einsum(mask, x, T, E * C, d));
  std::vector<float> out(static_cast<std::size_t>(E * C * d));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = counter_uniform(5, 2, i);
  const auto weights = combine_weights(s.token_slot, r.gate, T, E * C);
  const auto yg = combine_gather(out, s.token_slot, r.gate, T, d);
  const auto ye = combine_einsum(weights, out, T, E * C, d);
  for (std::size_t i = 0; i < yg.size(); ++i) REQUIRE(yg[i] == Approx(ye[i]).margin(1e-6));
}

TEST_CASE("without a usable GPU the CUDA layer throws NoCudaDevice, not a crash") {
  std::string why;
  if (cuda_available(why)) {
    SUCCEED("a CUDA device is present: scripts/gpu-validate.sh covers this machine");
    return;
  }
  CHECK_FALSE(why.empty());
  switchsim::ref::LayerSpec spec;
  spec.target = "cuda";
  spec.dtype = "bf16";
  CHECK_THROWS_AS(measure_layer(spec, RunOptions{}), NoCudaDevice);
  CHECK_THROWS_AS(run_kernel_bench(true), NoCudaDevice);
  CHECK(device_context().at("cuda_available") == false);
}

TEST_CASE("bench kernels without a GPU prints one skip line and succeeds") {
  std::string why;
  if (cuda_available(why)) return;
  const auto r = switchsim::test::run_cli("bench kernels --quick");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("no CUDA device: ") == 0);
  CHECK(r.out.find("; skipped") != std::string::npos);
}

// ---- issue 16: what the first GPU run would have tripped over ----

TEST_CASE("capped grids still cover every assignment: make_slots, scatter_dense and gather_dense loop over the grid") {
  // The cap: a billion assignments need 3,906,250 blocks of 256; the grid holds 524,280 and each
  // thread then handles ceil(1e9 / (524,280 * 256)) = 8 assignments.
  CHECK(capped_grid(1'000'000'000, 256) == 65535 * 8);
  CHECK(capped_grid(1000, 256) == 4);
  CHECK(capped_grid(0, 256) == 1);
  // A grid of 3 blocks of 32 threads (96 threads) over 1,000 assignments: every slot as the
  // one-block-per-32-assignments reference computes it.
  const std::int64_t T = 500, E = 8, k = 2;
  const auto logits = random_logits(T * E, 21);
  const auto r = softmax_topk_warp(logits, T, E, k);
  const auto p = positions_chunked(r.expert_index, E, 32);
  const std::int64_t C = switchsim::moe::expert_capacity({.tokens = T, .experts = E, .top_k = k, .capacity_factor = 1.0, .min_capacity = 4});
  const auto want = capacity_slots(r.expert_index, p.position, T, E, C);
  const auto got = make_slots_strided(r.expert_index, p.position, {}, T, E * C, C, 3, 32);
  CHECK(got.token_slot == want.token_slot);
  CHECK(got.slot_assignment == want.slot_assignment);
  std::vector<std::int32_t> offsets(1, 0);
  for (std::int64_t e = 0; e + 1 < E; ++e) offsets.push_back(offsets.back() + static_cast<std::int32_t>(p.expert_counts[static_cast<std::size_t>(e)]));
  const auto dropless = make_slots_strided(r.expert_index, p.position, offsets, T, T * k, -1, 3, 32);
  CHECK(dropless.token_slot == dropless_slots(r.expert_index, p.position, T, p.expert_counts).token_slot);
  // The dense one-hot tensors, and the gate gradient read back from them, the same way.
  const std::int64_t S = E * C;
  CHECK(scatter_dense_strided(want.token_slot, {}, T, S, 3, 32) == dispatch_mask(want.token_slot, T, S));
  const auto weights = scatter_dense_strided(want.token_slot, r.gate, T, S, 3, 32);
  CHECK(weights == combine_weights(want.token_slot, r.gate, T, S));
  const auto d_gate = gather_dense_strided(want.token_slot, weights, T, S, 3, 32);
  for (std::size_t a = 0; a < d_gate.size(); ++a)
    REQUIRE(d_gate[a] == (want.token_slot[a] >= 0 ? r.gate[a] : 0.0f));  // no element left unwritten (NaN)
}

TEST_CASE("a token with NaN or infinite logits goes to expert 0 with gate 0 and is counted") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // Token 0 finite (expert 2 wins), token 1 has a NaN, token 2 a +inf, token 3 is all -inf.
  const std::vector<float> logits{0, 1, 2, 0, nan, 5, 0, 1, 0, inf, 0, 0, -inf, -inf, -inf, -inf};
  const auto r = softmax_topk_warp(logits, 4, 4, 2);
  CHECK(r.nonfinite_tokens == 3);
  // expert_index is [k, T]: first choices of tokens 0..3, then second choices.
  CHECK(r.expert_index == std::vector<std::int32_t>{2, 0, 0, 0, 1, 1, 1, 1});
  for (int t = 1; t < 4; ++t) {
    CHECK(r.gate[static_cast<std::size_t>(t)] == 0.0f);
    CHECK(r.gate[static_cast<std::size_t>(4 + t)] == 0.0f);
    for (int e = 0; e < 4; ++e) CHECK(r.probs[static_cast<std::size_t>(4 * t + e)] == 0.0f);
  }
  CHECK(r.gate[0] == Approx(std::exp(2.0) / (1 + std::exp(1.0) + std::exp(2.0) + 1)));
  // Every index stays in range, so the position scan and the slots that follow are valid.
  const auto p = positions_chunked(r.expert_index, 4, 32);
  CHECK(p.expert_counts == std::vector<std::int64_t>{3, 4, 1, 0});  // second choices: expert 1 for all four
}

TEST_CASE("the router GEMM loops over row tiles, so grid.y stays under 65,535 for any token count") {
  // 1,048,560 = 65,535 * 16 tokens fill grid.y exactly; one more token needs a second pass.
  CHECK(tile_launch(1'048'560, 64).grid_y == 65535);
  const auto big = tile_launch(1'048'561, 64);
  CHECK(big.grid_y == 65535);
  CHECK(big.row_tiles == 65536);
  CHECK(big.grid_x == 4);
  CHECK(tile_launch(4'000'000, 128).grid_y == 65535);
  // The kernel's loop with a grid of 2 row-tile blocks over 7 row tiles (m = 100): every output
  // written once and equal to the naive product.
  const std::int64_t m = 100, n = 20, k = 37;
  std::vector<float> a(static_cast<std::size_t>(m * k)), b(static_cast<std::size_t>(k * n)), bias(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = counter_uniform(8, 1, i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = counter_uniform(8, 2, i);
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = counter_uniform(8, 3, i);
  const auto c = router_gemm_tiled(a, b, bias, m, n, k, 2);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double want = bias[static_cast<std::size_t>(j)];
      for (std::int64_t l = 0; l < k; ++l) want += double(a[static_cast<std::size_t>(i * k + l)]) * b[static_cast<std::size_t>(l * n + j)];
      REQUIRE(c[static_cast<std::size_t>(i * n + j)] == Approx(want).margin(1e-5));
    }
}

TEST_CASE("more than 12,288 experts need the shared-memory opt-in; more than the device allows is refused") {
  // 4 bytes per expert: 48 KiB = 12,288 experts without opt-in, 227 KiB = 58,112 with it (sm_90).
  CHECK_FALSE(scan_launch(4096, 12288).shared_opt_in);
  const auto l = scan_launch(4096, 16384);
  CHECK(l.shared_bytes == 65536);
  CHECK(l.shared_opt_in);
  CHECK(scan_launch(4096, 58112).shared_opt_in);
  CHECK_THROWS_AS(scan_launch(4096, 58113), std::invalid_argument);
  CHECK_THROWS_AS(scan_launch(4096, 16384, 32, 48 * 1024), std::invalid_argument);  // a device without opt-in room
  // The scan's result does not depend on the expert count's shared-memory size.
  std::vector<std::int32_t> idx(5000);
  for (std::size_t a = 0; a < idx.size(); ++a) idx[a] = static_cast<std::int32_t>(counter_hash(4, 4, a) % 16384);
  CHECK(positions_chunked(idx, 16384, 1024).position == positions_naive(idx, 16384).position);
}

TEST_CASE("the router backward includes the auxiliary loss gradient, as a finite difference of the loss says") {
  // Loss L(z) = sum_a d_gate[a] * p[t_a, e_a](z) + alpha E sum_e f_e mean_t p[t, e](z), f held
  // fixed (it is piecewise constant in z): router_logit_grad must be dL/dz.
  const std::int64_t T = 6, E = 4;
  const int k = 2;
  const double alpha = 0.5;  // large, so that the aux term is not lost in the check's margin
  const auto logits = random_logits(T * E, 33);
  const auto r = softmax_topk_warp(logits, T, E, k);
  std::vector<float> d_gate(static_cast<std::size_t>(T * k));
  for (std::size_t i = 0; i < d_gate.size(); ++i) d_gate[i] = counter_uniform(9, 1, i);
  std::vector<double> f(static_cast<std::size_t>(E), 0.0);
  for (std::int64_t t = 0; t < T; ++t) f[static_cast<std::size_t>(r.expert_index[static_cast<std::size_t>(t)])] += 1.0 / T;
  auto loss = [&](const std::vector<double>& z) {
    double L = 0;
    for (std::int64_t t = 0; t < T; ++t) {
      double m = -1e300, s = 0;
      for (std::int64_t e = 0; e < E; ++e) m = std::max(m, z[static_cast<std::size_t>(t * E + e)]);
      for (std::int64_t e = 0; e < E; ++e) s += std::exp(z[static_cast<std::size_t>(t * E + e)] - m);
      auto p = [&](std::int64_t e) { return std::exp(z[static_cast<std::size_t>(t * E + e)] - m) / s; };
      for (int j = 0; j < k; ++j)
        L += d_gate[static_cast<std::size_t>(j * T + t)] * p(r.expert_index[static_cast<std::size_t>(j * T + t)]);
      for (std::int64_t e = 0; e < E; ++e) L += alpha * E * f[static_cast<std::size_t>(e)] * p(e) / T;
    }
    return L;
  };
  const auto grad = router_logit_grad(r.probs, r.expert_index, d_gate, T, E, k, alpha);
  std::vector<double> z(logits.begin(), logits.end());
  for (std::size_t i = 0; i < z.size(); ++i) {
    auto up = z, down = z;
    up[i] += 1e-5;
    down[i] -= 1e-5;
    REQUIRE(grad[i] == Approx((loss(up) - loss(down)) / 2e-5).margin(2e-5));
  }
  // Without the aux term the gradient differs (the term is not negligible at this alpha).
  const auto no_aux = router_logit_grad(r.probs, r.expert_index, d_gate, T, E, k, 0.0);
  double diff = 0;
  for (std::size_t i = 0; i < grad.size(); ++i) diff = std::max(diff, double(std::abs(grad[i] - no_aux[i])));
  CHECK(diff > 1e-3);
}
