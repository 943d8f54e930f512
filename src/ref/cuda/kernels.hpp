#pragma once
// Launchers of the CUDA kernels in kernels.cu (compiled by nvcc). Host code calls these with
// device pointers; each launch is asynchronous on `stream` and checked for launch errors.
// The algorithms follow kernel_emulation.hpp, which the CPU tests check.
// bf16 tensors are passed as void* so that this header needs no cuda_bf16.h.

#include <cuda_runtime_api.h>

#include <cstdint>

#include "ref/cuda/launch_geometry.hpp"

namespace switchsim::ref::cuda::kernels {

// dst[i] = scale * counter_uniform(seed, stream_id, i) (+ bias[i % period] if bias).
void init_uniform_bf16(void* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t stream_id,
                       cudaStream_t stream);
void init_uniform_f32(float* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t stream_id,
                      cudaStream_t stream);

// Small fp32-accumulating GEMM for the router: C[m,n] (+)= sum_k A(i,k) B(k,j), element (i,k) of A
// at a[i*a_row + k*a_col] (any strides, so transposes are free). A is bf16 or fp32.
void router_gemm(const void* a, bool a_is_bf16, std::int64_t a_row, std::int64_t a_col, const float* b,
                 std::int64_t b_row, std::int64_t b_col, float* c, std::int64_t m, std::int64_t n, std::int64_t k,
                 const float* column_bias, bool accumulate, cudaStream_t stream,
                 std::int64_t max_grid_y = kMaxGridY);  // smaller only for the checks of the row-tile loop
// Same, writing bf16 into C (+= when accumulate): the router's contribution to dx.
void router_gemm_bf16_out(const float* a, std::int64_t a_row, std::int64_t a_col, const float* b, std::int64_t b_row,
                          std::int64_t b_col, void* c, std::int64_t m, std::int64_t n, std::int64_t k, bool accumulate,
                          cudaStream_t stream);

// Fused softmax + top-k, one warp per token (kernel_emulation: softmax_topk_warp). Tokens whose
// softmax is not finite go to experts 0..k-1 with gate 0 and are counted in *nonfinite_tokens
// (atomicAdd; may be nullptr).
void softmax_topk(const float* logits, float* probs, std::int32_t* expert_index, float* gate,
                  std::int32_t* nonfinite_tokens, std::int64_t tokens, std::int64_t experts, int top_k,
                  cudaStream_t stream);
// Backward of softmax through the chosen gates and the Switch auxiliary loss: d_logits = p * (g -
// sum p g), g = d_gate at the chosen experts + alpha E f_e / T (f_e: fraction of tokens whose
// first choice is e, counted into first_counts [E]); first_counts == nullptr: no aux term.
void softmax_topk_backward(const float* probs, const std::int32_t* expert_index, const float* d_gate,
                           std::int32_t* first_counts, float aux_alpha, float* d_logits, std::int64_t tokens,
                           std::int64_t experts, int top_k, cudaStream_t stream);

// Position in expert (kernel_emulation: positions_chunked): chunk_counts [chunks, E] is
// overwritten with the per-chunk exclusive offsets; expert_counts [E] gets the totals.
void expert_positions(const std::int32_t* expert_index, std::int32_t* chunk_counts, std::int32_t* expert_counts,
                      std::int32_t* position, std::int64_t assignments, std::int64_t experts, std::int64_t chunk,
                      cudaStream_t stream);
// Slots: capacity >= 0: slot = e*C + pos if pos < C; capacity < 0 (dropless): slot =
// expert_offsets[e] + pos. slot_assignment must be filled with -1 beforehand (rows entries).
// Grid-stride loop over a grid of at most `max_blocks` blocks (smaller only for the checks).
void make_slots(const std::int32_t* expert_index, const std::int32_t* position, const std::int32_t* expert_offsets,
                std::int32_t* token_slot, std::int32_t* slot_assignment, std::int64_t assignments, std::int64_t capacity,
                cudaStream_t stream, std::int64_t max_blocks = kMaxGridBlocks);

// out[s] = x[slot_assignment[s] % T] (zeros for empty slots): one pass, 16-byte vectors.
void dispatch_rows(const void* x, const std::int32_t* slot_assignment, void* out, std::int64_t rows,
                   std::int64_t tokens, std::int64_t d, cudaStream_t stream);
// y[t] = sum_j gate[j*T+t] * rows[token_slot[j*T+t]] (gate == nullptr: weight 1; the backward
// of dispatch). fp32 accumulation, 16-byte vectors.
void combine_rows(const void* rows, const std::int32_t* token_slot, const float* gate, void* y, std::int64_t tokens,
                  int top_k, std::int64_t d, cudaStream_t stream);
// Backward of combine: d_rows[s] = gate[a] * dy[a % T]; d_gate[a] = <dy[a % T], rows[s]>.
void combine_backward(const void* dy, const void* rows, const std::int32_t* slot_assignment,
                      const std::int32_t* token_slot, const float* gate, void* d_rows, float* d_gate,
                      std::int64_t n_rows, std::int64_t tokens, int top_k, std::int64_t d, cudaStream_t stream);

// Expert activations on [rows, f]: relu (b == nullptr) or GEGLU h = gelu(a) * b (tanh gelu).
void activation_forward(const void* a, const void* b, void* h, std::int64_t n, cudaStream_t stream);
void activation_backward(const void* a, const void* b, const void* dh, void* da, void* db, std::int64_t n,
                         cudaStream_t stream);

// The one-hot einsum baseline: dense [T, S] bf16 tensors (S = E*C), zero-filled beforehand.
void scatter_dense(const std::int32_t* token_slot, const float* gate, void* dense, std::int64_t assignments,
                   std::int64_t tokens, std::int64_t slots, cudaStream_t stream,
                   std::int64_t max_blocks = kMaxGridBlocks);
// d_gate[a] = dense[a % T, token_slot[a]] (0 when dropped).
void gather_dense(const std::int32_t* token_slot, const void* dense, float* d_gate, std::int64_t assignments,
                  std::int64_t tokens, std::int64_t slots, cudaStream_t stream,
                  std::int64_t max_blocks = kMaxGridBlocks);

}  // namespace switchsim::ref::cuda::kernels
