#pragma once
// CPU emulations of the CUDA kernels' algorithms, step for step (warp lanes, butterfly
// reductions, chunked scans), and naive loops to check them against. The kernels in
// kernels.cu follow these functions; tests/cuda_host_test.cpp checks these on the CPU.
// Assignment order: a = j*T + t for the j-th choice of token t (all first choices before any
// second choice, as GShard prioritizes), so expert_index and gate are [k, T] flattened.

#include <cstdint>
#include <span>
#include <vector>

namespace switchsim::ref::cuda {

inline constexpr int kWarp = 32;

struct Routing {
  std::vector<float> probs;                // [T, E] softmax of the logits
  std::vector<std::int32_t> expert_index;  // [k, T]
  std::vector<float> gate;                 // [k, T] probability of the chosen expert
  std::int64_t nonfinite_tokens = 0;       // tokens whose softmax was not finite (see below)
};

// Non-finite logits: a token whose softmax is not finite (a NaN or +inf logit, or all -inf:
// the max or the sum of exponentials is then NaN or infinite) is routed to its lowest unchosen
// experts (expert 0 first) with gate 0 and a zero probability row, so that it adds nothing to
// the layer's output or to the router's gradient, and is counted in nonfinite_tokens. The
// kernel does the same (and counts with one atomicAdd per such token); `measure --check` fails
// when a layer's count is not zero.

// Fused softmax + top-k as one warp per token computes it: lane l owns experts l, l+32, ...;
// max and sum by xor-butterfly (every lane ends with the same bits); k rounds of a butterfly
// arg-max (ties to the lower expert index), each excluding earlier choices.
Routing softmax_topk_warp(std::span<const float> logits, std::int64_t tokens, std::int64_t experts, int top_k);
// The textbook loop: softmax in expert order, then k passes of strict ">" arg-max.
Routing softmax_topk_naive(std::span<const float> logits, std::int64_t tokens, std::int64_t experts, int top_k);

// Router backward as softmax_topk_backward computes it: d(probs)[t, e] = the d_gate of the
// choices of t that chose e + alpha E f_e / T (the gradient of the Switch auxiliary loss
// alpha E sum_e f_e P_e with P_e = mean_t p[t, e]; f_e = fraction of tokens whose first choice
// is e, piecewise constant), then d_logits = p * (dp - sum_e p_e dp_e). aux_alpha = 0: no aux term.
std::vector<float> router_logit_grad(std::span<const float> probs, std::span<const std::int32_t> expert_index,
                                     std::span<const float> d_gate, std::int64_t tokens, std::int64_t experts,
                                     int top_k, double aux_alpha);

struct Positions {
  std::vector<std::int32_t> position;       // [A] rank of assignment a among those to its expert
  std::vector<std::int64_t> expert_counts;  // [E] assignments per expert (before capacity)
};
// Three phases as on the GPU: (1) per chunk of `chunk` assignments, counts per expert;
// (2) per expert, exclusive scan of the chunk counts; (3) per chunk, one warp walks 32
// assignments at a time: lanes with the same expert (match_any) rank by popcount of the lower
// lanes, added to the chunk's offset and the running count.
Positions positions_chunked(std::span<const std::int32_t> expert_index, std::int64_t experts, std::int64_t chunk);
Positions positions_naive(std::span<const std::int32_t> expert_index, std::int64_t experts);

// Slots: capacity-padded slot = e*C + position (kept when position < C), dropless slot =
// offsets[e] + position. token_slot[a] = slot or -1 (dropped); slot_assignment[slot] = the
// assignment a in it (its token is a % T) or -1 for an empty slot.
struct Slots {
  std::vector<std::int32_t> token_slot;       // [A]
  std::vector<std::int32_t> slot_assignment;  // [rows]
};
Slots capacity_slots(std::span<const std::int32_t> expert_index, std::span<const std::int32_t> position,
                     std::int64_t tokens, std::int64_t experts, std::int64_t capacity);
Slots dropless_slots(std::span<const std::int32_t> expert_index, std::span<const std::int32_t> position,
                     std::int64_t tokens, std::span<const std::int64_t> expert_counts);

// Grid-stride loops as the element-parallel kernels run them: thread t of block b of a grid of
// `grid` blocks of `block` threads handles i = b*block + t, then i + grid*block, ... The
// emulations below visit assignments in that order, so a test with a tiny grid checks that a
// capped grid still covers every element.
template <typename F>
void for_each_grid_stride(std::int64_t n, std::int64_t grid, int block, F&& f) {
  const std::int64_t stride = grid * block;
  for (std::int64_t b = 0; b < grid; ++b)
    for (std::int64_t t = 0; t < block; ++t)
      for (std::int64_t i = b * block + t; i < n; i += stride) f(i);
}
// make_slots on a grid of `grid` blocks: capacity >= 0 as capacity_slots, else dropless with
// `offsets` (exclusive per-expert offsets, E entries). `rows` slot rows.
Slots make_slots_strided(std::span<const std::int32_t> expert_index, std::span<const std::int32_t> position,
                         std::span<const std::int32_t> offsets, std::int64_t tokens, std::int64_t rows,
                         std::int64_t capacity, std::int64_t grid, int block);
// scatter_dense / gather_dense on a grid of `grid` blocks (gate empty: weight 1).
std::vector<float> scatter_dense_strided(std::span<const std::int32_t> token_slot, std::span<const float> gate,
                                         std::int64_t tokens, std::int64_t slots, std::int64_t grid, int block);
std::vector<float> gather_dense_strided(std::span<const std::int32_t> token_slot, std::span<const float> dense,
                                        std::int64_t tokens, std::int64_t slots, std::int64_t grid, int block);

// The router's 16x16 tiled fp32 GEMM c[m,n] = a[m,k] b[k,n] (+ bias[n]) as its blocks compute it:
// tile_launch(m, n, 16, max_grid_y) blocks, block y looping over row tiles y, y + grid_y, ...;
// each output accumulated over k in tiles of 16, in k order. Outputs never written stay NaN.
std::vector<float> router_gemm_tiled(std::span<const float> a, std::span<const float> b, std::span<const float> bias,
                                     std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t max_grid_y);

// Dispatch as a gather over slots (rows with no token are zero), combine as a gather over a
// token's k slots scaled by its gates (dropped assignments contribute nothing).
std::vector<float> dispatch_gather(std::span<const float> x, std::span<const std::int32_t> slot_assignment,
                                   std::int64_t tokens, std::int64_t d);
std::vector<float> combine_gather(std::span<const float> expert_out, std::span<const std::int32_t> token_slot,
                                  std::span<const float> gate, std::int64_t tokens, std::int64_t d);

// The dense one-hot formulation (Mesh TensorFlow): dispatch_mask[t, s] in {0, 1} and
// combine_weights[t, s] = gate over slots s of [E*C]; dispatched = mask^T x, y = W out.
std::vector<float> dispatch_mask(std::span<const std::int32_t> token_slot, std::int64_t tokens, std::int64_t slots);
std::vector<float> combine_weights(std::span<const std::int32_t> token_slot, std::span<const float> gate,
                                   std::int64_t tokens, std::int64_t slots);
std::vector<float> dispatch_einsum(std::span<const float> mask, std::span<const float> x, std::int64_t tokens,
                                   std::int64_t slots, std::int64_t d);
std::vector<float> combine_einsum(std::span<const float> weights, std::span<const float> expert_out,
                                  std::int64_t tokens, std::int64_t slots, std::int64_t d);

}  // namespace switchsim::ref::cuda
