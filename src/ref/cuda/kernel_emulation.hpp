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
};

// Fused softmax + top-k as one warp per token computes it: lane l owns experts l, l+32, ...;
// max and sum by xor-butterfly (every lane ends with the same bits); k rounds of a butterfly
// arg-max (ties to the lower expert index), each excluding earlier choices.
Routing softmax_topk_warp(std::span<const float> logits, std::int64_t tokens, std::int64_t experts, int top_k);
// The textbook loop: softmax in expert order, then k passes of strict ">" arg-max.
Routing softmax_topk_naive(std::span<const float> logits, std::int64_t tokens, std::int64_t experts, int top_k);

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
