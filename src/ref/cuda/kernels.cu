// The CUDA kernels of the reference Switch layer. Only kernels and their launchers live here
// (no fmt, no cuBLAS/NCCL); layer.cpp orchestrates them. Each kernel's algorithm is emulated
// step for step in kernel_emulation.cpp and tested on the CPU.

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "ref/cuda/counter_hash.hpp"
#include "ref/cuda/kernels.hpp"
#include "ref/cuda/launch_geometry.hpp"

namespace switchsim::ref::cuda::kernels {
namespace {

using bf16 = __nv_bfloat16;
constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kMaxTopK = 8;

void check_cuda_call(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

void check_launch(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA kernel ") + kernel + ": " + cudaGetErrorString(e));
}

// Capped 1-D grid (launch_geometry: capped_grid); the kernels launched with it loop over the grid.
unsigned grid_for(std::int64_t n, int block, std::int64_t max_blocks = kMaxGridBlocks) {
  return static_cast<unsigned>(capped_grid(n, block, max_blocks));
}

__device__ __forceinline__ std::int64_t grid_first() {
  return blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ std::int64_t grid_stride() { return static_cast<std::int64_t>(gridDim.x) * blockDim.x; }

template <int V>
struct alignas(2 * V) Vec {
  bf16 v[V];
};

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(bf16 x) { return __bfloat162float(x); }

// ---- initialization ----
__global__ void init_bf16_kernel(bf16* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t sid) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = __float2bfloat16(scale * counter_uniform(seed, sid, static_cast<std::uint64_t>(i)));
}
__global__ void init_f32_kernel(float* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t sid) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    dst[i] = scale * counter_uniform(seed, sid, static_cast<std::uint64_t>(i));
}

// ---- router GEMM: 16x16 tiles in shared memory, fp32 accumulate ----
constexpr int kTile = 16;
template <typename TA, typename TC>
__global__ void router_gemm_kernel(const TA* a, std::int64_t a_row, std::int64_t a_col, const float* b,
                                   std::int64_t b_row, std::int64_t b_col, TC* c, std::int64_t m, std::int64_t n,
                                   std::int64_t k, const float* bias, bool accumulate) {
  __shared__ float as[kTile][kTile + 1];
  __shared__ float bs[kTile][kTile + 1];
  const std::int64_t col = blockIdx.x * static_cast<std::int64_t>(kTile) + threadIdx.x;
  const std::int64_t row_tiles = (m + kTile - 1) / kTile;
  // grid.y <= 65,535: a block loops over row tiles (the loop bound is the same for all its threads).
  for (std::int64_t tile_y = blockIdx.y; tile_y < row_tiles; tile_y += gridDim.y) {
    const std::int64_t row = tile_y * kTile + threadIdx.y;
    float acc = 0.0f;
    for (std::int64_t k0 = 0; k0 < k; k0 += kTile) {
      const std::int64_t ka = k0 + threadIdx.x;
      const std::int64_t kb = k0 + threadIdx.y;
      as[threadIdx.y][threadIdx.x] = (row < m && ka < k) ? to_float(a[row * a_row + ka * a_col]) : 0.0f;
      bs[threadIdx.y][threadIdx.x] = (kb < k && col < n) ? b[kb * b_row + col * b_col] : 0.0f;
      __syncthreads();
#pragma unroll
      for (int i = 0; i < kTile; ++i) acc += as[threadIdx.y][i] * bs[i][threadIdx.x];
      __syncthreads();
    }
    if (row >= m || col >= n) continue;
    if (bias != nullptr) acc += bias[col];
    TC* out = c + row * n + col;
    if (accumulate) acc += to_float(*out);
    if constexpr (sizeof(TC) == 2) {
      *out = __float2bfloat16(acc);
    } else {
      *out = acc;
    }
  }
}

// ---- fused softmax + top-k: one warp per token ----
__global__ void softmax_topk_kernel(const float* logits, float* probs, std::int32_t* expert_index, float* gate,
                                    std::int32_t* nonfinite_tokens, std::int64_t T, std::int64_t E, int k) {
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (t >= T) return;  // whole warps exit together
  const float* row = logits + t * E;
  float m = -INFINITY;
  for (std::int64_t e = lane; e < E; e += 32) m = fmaxf(m, row[e]);
  for (int o = 16; o > 0; o /= 2) m = fmaxf(m, __shfl_xor_sync(kFullMask, m, o));
  float s = 0.0f;
  for (std::int64_t e = lane; e < E; e += 32) s += expf(row[e] - m);
  for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(kFullMask, s, o);
  if (!isfinite(m) || !isfinite(s) || !(s > 0.0f)) {
    // Non-finite softmax (kernel_emulation.hpp): lowest experts, gate 0, zero probabilities, counted.
    for (std::int64_t e = lane; e < E; e += 32) probs[t * E + e] = 0.0f;
    if (lane == 0) {
      for (int j = 0; j < k; ++j) {
        expert_index[j * T + t] = j;
        gate[j * T + t] = 0.0f;
      }
      if (nonfinite_tokens != nullptr) atomicAdd(nonfinite_tokens, 1);
    }
    return;  // m and s are the same in every lane: the whole warp leaves
  }
  for (std::int64_t e = lane; e < E; e += 32) probs[t * E + e] = expf(row[e] - m) / s;
  std::int32_t chosen[kMaxTopK];
  for (int j = 0; j < k; ++j) {
    float best_p = -1.0f;
    std::int32_t best_e = 0x7fffffff;
    for (std::int64_t e = lane; e < E; e += 32) {
      bool taken = false;
      for (int i = 0; i < j; ++i) taken = taken || chosen[i] == e;
      const float p = expf(row[e] - m) / s;
      if (!taken && p > best_p) {
        best_p = p;
        best_e = static_cast<std::int32_t>(e);
      }
    }
    for (int o = 16; o > 0; o /= 2) {
      const float op = __shfl_xor_sync(kFullMask, best_p, o);
      const std::int32_t oe = __shfl_xor_sync(kFullMask, best_e, o);
      if (op > best_p || (op == best_p && oe < best_e)) {
        best_p = op;
        best_e = oe;
      }
    }
    chosen[j] = best_e;
    if (lane == 0) {
      expert_index[j * T + t] = best_e;
      gate[j * T + t] = best_p;
    }
  }
}

// d(probs)[t, e] = sum of d_gate over the chosen e + aux_scale * first_counts[e] (the Switch
// auxiliary loss alpha E sum_e f_e P_e: d/dp[t,e] = alpha E f_e / T, f_e = first_counts[e] / T),
// then the softmax backward d_logits = p * (dp - sum_e p_e dp_e) (kernel_emulation:
// router_logit_grad).
__global__ void softmax_topk_backward_kernel(const float* probs, const std::int32_t* idx, const float* d_gate,
                                             const std::int32_t* first_counts, float aux_scale, float* d_logits,
                                             std::int64_t T, std::int64_t E, int k) {
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (t >= T) return;
  const float* p = probs + t * E;
  float aux_dot = 0.0f;  // sum_e p_e aux_e, over all experts
  if (first_counts != nullptr)
    for (std::int64_t e = lane; e < E; e += 32) aux_dot += p[e] * (aux_scale * static_cast<float>(first_counts[e]));
  for (int o = 16; o > 0; o /= 2) aux_dot += __shfl_xor_sync(kFullMask, aux_dot, o);
  float dot = aux_dot;  // + sum_e p_e g_e over the chosen experts
  for (int j = 0; j < k; ++j) dot += p[idx[j * T + t]] * d_gate[j * T + t];
  for (std::int64_t e = lane; e < E; e += 32) {
    float g = first_counts != nullptr ? aux_scale * static_cast<float>(first_counts[e]) : 0.0f;
    for (int j = 0; j < k; ++j)
      if (idx[j * T + t] == e) g += d_gate[j * T + t];
    d_logits[t * E + e] = p[e] * (g - dot);
  }
}

// counts[e] += number of tokens whose first choice is e (counts zeroed beforehand).
__global__ void first_choice_count_kernel(const std::int32_t* idx, std::int32_t* counts, std::int64_t T) {
  for (std::int64_t t = grid_first(); t < T; t += grid_stride()) atomicAdd(&counts[idx[t]], 1);
}

// ---- position in expert: count, scan, assign ----
__global__ void chunk_count_kernel(const std::int32_t* idx, std::int32_t* chunk_counts, std::int64_t A, std::int64_t E,
                                   std::int64_t chunk) {
  extern __shared__ std::int32_t counts[];
  for (std::int64_t e = threadIdx.x; e < E; e += blockDim.x) counts[e] = 0;
  __syncthreads();
  const std::int64_t begin = blockIdx.x * chunk;
  const std::int64_t end = min(A, begin + chunk);
  for (std::int64_t a = begin + threadIdx.x; a < end; a += blockDim.x) atomicAdd(&counts[idx[a]], 1);
  __syncthreads();
  for (std::int64_t e = threadIdx.x; e < E; e += blockDim.x) chunk_counts[blockIdx.x * E + e] = counts[e];
}

__global__ void chunk_scan_kernel(std::int32_t* chunk_counts, std::int32_t* expert_counts, std::int64_t chunks,
                                  std::int64_t E) {
  const std::int64_t e = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (e >= E) return;
  std::int32_t running = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int32_t n = chunk_counts[c * E + e];
    chunk_counts[c * E + e] = running;
    running += n;
  }
  expert_counts[e] = running;
}

__global__ void chunk_assign_kernel(const std::int32_t* idx, const std::int32_t* chunk_offsets, std::int32_t* position,
                                    std::int64_t A, std::int64_t E, std::int64_t chunk) {
  extern __shared__ std::int32_t running[];
  const int lane = threadIdx.x;  // one warp per block
  for (std::int64_t e = lane; e < E; e += 32) running[e] = 0;
  __syncwarp();
  const std::int64_t c = blockIdx.x;
  const std::int64_t end = min(A, (c + 1) * chunk);
  const unsigned lower = (1u << lane) - 1u;
  for (std::int64_t base = c * chunk; base < end; base += 32) {
    const std::int64_t a = base + lane;
    const std::int32_t e = a < end ? idx[a] : -1;
    const unsigned group = __match_any_sync(kFullMask, e);
    const int rank = __popc(group & lower);
    std::int32_t pos = 0;
    if (e >= 0) pos = chunk_offsets[c * E + e] + running[e] + rank;
    __syncwarp();
    if (e >= 0 && rank == 0) running[e] += __popc(group);
    __syncwarp();
    if (e >= 0) position[a] = pos;
  }
}

__global__ void make_slots_kernel(const std::int32_t* idx, const std::int32_t* position, const std::int32_t* offsets,
                                  std::int32_t* token_slot, std::int32_t* slot_assignment, std::int64_t A,
                                  std::int64_t C) {
  for (std::int64_t a = grid_first(); a < A; a += grid_stride()) {
    const std::int32_t e = idx[a];
    const std::int32_t p = position[a];
    std::int32_t slot = -1;
    if (C >= 0) {
      if (p < C) slot = static_cast<std::int32_t>(e * C + p);
    } else {
      slot = offsets[e] + p;
    }
    token_slot[a] = slot;
    if (slot >= 0) slot_assignment[slot] = static_cast<std::int32_t>(a);
  }
}

// ---- dispatch / combine: row-parallel, V bf16 per load ----
template <int V>
__global__ void dispatch_kernel(const bf16* x, const std::int32_t* slot_assignment, bf16* out, std::int64_t rows,
                                std::int64_t T, std::int64_t d, int tpr, int rpb) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(rpb) + threadIdx.x / tpr;
  const int lane = threadIdx.x % tpr;
  if (row >= rows) return;
  const std::int64_t nvec = d / V;
  const std::int32_t a = slot_assignment[row];
  auto* dst = reinterpret_cast<Vec<V>*>(out) + row * nvec;
  if (a < 0) {
    Vec<V> zero;
#pragma unroll
    for (int i = 0; i < V; ++i) zero.v[i] = __float2bfloat16(0.0f);
    for (std::int64_t i = lane; i < nvec; i += tpr) dst[i] = zero;
    return;
  }
  const auto* src = reinterpret_cast<const Vec<V>*>(x) + (a % T) * nvec;
  for (std::int64_t i = lane; i < nvec; i += tpr) dst[i] = src[i];
}

template <int V>
__global__ void combine_kernel(const bf16* rows, const std::int32_t* token_slot, const float* gate, bf16* y,
                               std::int64_t T, int k, std::int64_t d, int tpr, int rpb) {
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(rpb) + threadIdx.x / tpr;
  const int lane = threadIdx.x % tpr;
  if (t >= T) return;
  const std::int64_t nvec = d / V;
  std::int32_t slot[kMaxTopK];
  float g[kMaxTopK];
  for (int j = 0; j < k; ++j) {
    slot[j] = token_slot[j * T + t];
    g[j] = gate != nullptr ? gate[j * T + t] : 1.0f;
  }
  auto* dst = reinterpret_cast<Vec<V>*>(y) + t * nvec;
  for (std::int64_t i = lane; i < nvec; i += tpr) {
    float acc[V];
#pragma unroll
    for (int v = 0; v < V; ++v) acc[v] = 0.0f;
    for (int j = 0; j < k; ++j) {
      if (slot[j] < 0) continue;
      const Vec<V> r = reinterpret_cast<const Vec<V>*>(rows)[slot[j] * nvec + i];
#pragma unroll
      for (int v = 0; v < V; ++v) acc[v] += g[j] * __bfloat162float(r.v[v]);
    }
    Vec<V> out;
#pragma unroll
    for (int v = 0; v < V; ++v) out.v[v] = __float2bfloat16(acc[v]);
    dst[i] = out;
  }
}

template <int V>
__global__ void combine_backward_rows_kernel(const bf16* dy, const std::int32_t* slot_assignment, const float* gate,
                                             bf16* d_rows, std::int64_t rows, std::int64_t T, std::int64_t d, int tpr,
                                             int rpb) {
  const std::int64_t row = blockIdx.x * static_cast<std::int64_t>(rpb) + threadIdx.x / tpr;
  const int lane = threadIdx.x % tpr;
  if (row >= rows) return;
  const std::int64_t nvec = d / V;
  const std::int32_t a = slot_assignment[row];
  const float g = a >= 0 ? gate[a] : 0.0f;
  auto* dst = reinterpret_cast<Vec<V>*>(d_rows) + row * nvec;
  const auto* src = reinterpret_cast<const Vec<V>*>(dy) + (a >= 0 ? (a % T) : 0) * nvec;
  for (std::int64_t i = lane; i < nvec; i += tpr) {
    Vec<V> out;
    if (a >= 0) {
      const Vec<V> r = src[i];
#pragma unroll
      for (int v = 0; v < V; ++v) out.v[v] = __float2bfloat16(g * __bfloat162float(r.v[v]));
    } else {
#pragma unroll
      for (int v = 0; v < V; ++v) out.v[v] = __float2bfloat16(0.0f);
    }
    dst[i] = out;
  }
}

__global__ void gate_grad_kernel(const bf16* dy, const bf16* rows, const std::int32_t* token_slot, float* d_gate,
                                 std::int64_t A, std::int64_t T, std::int64_t d) {
  const std::int64_t a = blockIdx.x * static_cast<std::int64_t>(blockDim.x / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (a >= A) return;
  const std::int32_t s = token_slot[a];
  float acc = 0.0f;
  if (s >= 0)
    for (std::int64_t i = lane; i < d; i += 32)
      acc += __bfloat162float(dy[(a % T) * d + i]) * __bfloat162float(rows[s * d + i]);
  for (int o = 16; o > 0; o /= 2) acc += __shfl_xor_sync(kFullMask, acc, o);
  if (lane == 0) d_gate[a] = acc;
}

// ---- activations ----
__device__ __forceinline__ float gelu_tanh(float x) {
  const float c = 0.7978845608028654f;  // sqrt(2/pi)
  return 0.5f * x * (1.0f + tanhf(c * (x + 0.044715f * x * x * x)));
}
__device__ __forceinline__ float gelu_tanh_grad(float x) {
  const float c = 0.7978845608028654f;
  const float th = tanhf(c * (x + 0.044715f * x * x * x));
  return 0.5f * (1.0f + th) + 0.5f * x * (1.0f - th * th) * c * (1.0f + 3.0f * 0.044715f * x * x);
}

__global__ void activation_forward_kernel(const bf16* a, const bf16* b, bf16* h, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float x = __bfloat162float(a[i]);
    h[i] = __float2bfloat16(b == nullptr ? fmaxf(x, 0.0f) : gelu_tanh(x) * __bfloat162float(b[i]));
  }
}

__global__ void activation_backward_kernel(const bf16* a, const bf16* b, const bf16* dh, bf16* da, bf16* db,
                                           std::int64_t n) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float x = __bfloat162float(a[i]);
    const float g = __bfloat162float(dh[i]);
    if (b == nullptr) {
      da[i] = __float2bfloat16(x > 0.0f ? g : 0.0f);
    } else {
      const float lin = __bfloat162float(b[i]);
      da[i] = __float2bfloat16(g * lin * gelu_tanh_grad(x));
      db[i] = __float2bfloat16(g * gelu_tanh(x));
    }
  }
}

// ---- one-hot einsum baseline helpers ----
__global__ void scatter_dense_kernel(const std::int32_t* token_slot, const float* gate, bf16* dense, std::int64_t A,
                                     std::int64_t T, std::int64_t S) {
  for (std::int64_t a = grid_first(); a < A; a += grid_stride()) {
    const std::int32_t s = token_slot[a];
    if (s >= 0) dense[(a % T) * S + s] = __float2bfloat16(gate != nullptr ? gate[a] : 1.0f);
  }
}

__global__ void gather_dense_kernel(const std::int32_t* token_slot, const bf16* dense, float* d_gate, std::int64_t A,
                                    std::int64_t T, std::int64_t S) {
  for (std::int64_t a = grid_first(); a < A; a += grid_stride()) {
    const std::int32_t s = token_slot[a];
    d_gate[a] = s >= 0 ? __bfloat162float(dense[(a % T) * S + s]) : 0.0f;
  }
}

template <template <int> class Launch, typename... Args>
void by_vector(int vector, Args&&... args) {
  switch (vector) {
    case 8: Launch<8>::run(args...); break;
    case 4: Launch<4>::run(args...); break;
    case 2: Launch<2>::run(args...); break;
    default: Launch<1>::run(args...); break;
  }
}

template <int V>
struct DispatchLaunch {
  static void run(const RowLaunch& l, cudaStream_t stream, const bf16* x, const std::int32_t* sa, bf16* out,
                  std::int64_t rows, std::int64_t T, std::int64_t d) {
    dispatch_kernel<V><<<static_cast<unsigned>(l.grid), l.block, 0, stream>>>(x, sa, out, rows, T, d, l.threads_per_row,
                                                                             l.rows_per_block);
  }
};
template <int V>
struct CombineLaunch {
  static void run(const RowLaunch& l, cudaStream_t stream, const bf16* rows, const std::int32_t* ts, const float* gate,
                  bf16* y, std::int64_t T, int k, std::int64_t d) {
    combine_kernel<V><<<static_cast<unsigned>(l.grid), l.block, 0, stream>>>(rows, ts, gate, y, T, k, d,
                                                                            l.threads_per_row, l.rows_per_block);
  }
};
template <int V>
struct CombineBackwardLaunch {
  static void run(const RowLaunch& l, cudaStream_t stream, const bf16* dy, const std::int32_t* sa, const float* gate,
                  bf16* d_rows, std::int64_t rows, std::int64_t T, std::int64_t d) {
    combine_backward_rows_kernel<V><<<static_cast<unsigned>(l.grid), l.block, 0, stream>>>(
        dy, sa, gate, d_rows, rows, T, d, l.threads_per_row, l.rows_per_block);
  }
};

}  // namespace

void init_uniform_bf16(void* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t sid,
                       cudaStream_t stream) {
  init_bf16_kernel<<<grid_for(n, 256), 256, 0, stream>>>(static_cast<bf16*>(dst), n, scale, seed, sid);
  check_launch("init_uniform_bf16");
}

void init_uniform_f32(float* dst, std::int64_t n, float scale, std::uint64_t seed, std::uint64_t sid,
                      cudaStream_t stream) {
  init_f32_kernel<<<grid_for(n, 256), 256, 0, stream>>>(dst, n, scale, seed, sid);
  check_launch("init_uniform_f32");
}

void router_gemm(const void* a, bool a_is_bf16, std::int64_t a_row, std::int64_t a_col, const float* b,
                 std::int64_t b_row, std::int64_t b_col, float* c, std::int64_t m, std::int64_t n, std::int64_t k,
                 const float* column_bias, bool accumulate, cudaStream_t stream, std::int64_t max_grid_y) {
  const dim3 block(kTile, kTile);
  const auto l = tile_launch(m, n, kTile, max_grid_y);
  const dim3 grid(static_cast<unsigned>(l.grid_x), static_cast<unsigned>(l.grid_y));
  if (a_is_bf16)
    router_gemm_kernel<bf16, float><<<grid, block, 0, stream>>>(static_cast<const bf16*>(a), a_row, a_col, b, b_row,
                                                                b_col, c, m, n, k, column_bias, accumulate);
  else
    router_gemm_kernel<float, float><<<grid, block, 0, stream>>>(static_cast<const float*>(a), a_row, a_col, b, b_row,
                                                                 b_col, c, m, n, k, column_bias, accumulate);
  check_launch("router_gemm");
}

void router_gemm_bf16_out(const float* a, std::int64_t a_row, std::int64_t a_col, const float* b, std::int64_t b_row,
                          std::int64_t b_col, void* c, std::int64_t m, std::int64_t n, std::int64_t k, bool accumulate,
                          cudaStream_t stream) {
  const dim3 block(kTile, kTile);
  const auto l = tile_launch(m, n, kTile);
  const dim3 grid(static_cast<unsigned>(l.grid_x), static_cast<unsigned>(l.grid_y));
  router_gemm_kernel<float, bf16><<<grid, block, 0, stream>>>(a, a_row, a_col, b, b_row, b_col, static_cast<bf16*>(c), m,
                                                              n, k, nullptr, accumulate);
  check_launch("router_gemm_bf16_out");
}

void softmax_topk(const float* logits, float* probs, std::int32_t* expert_index, float* gate,
                  std::int32_t* nonfinite_tokens, std::int64_t tokens, std::int64_t experts, int top_k,
                  cudaStream_t stream) {
  if (top_k < 1 || top_k > kMaxTopK) throw std::invalid_argument("softmax_topk: top_k must be in [1, 8]");
  const auto l = token_launch(tokens);
  softmax_topk_kernel<<<static_cast<unsigned>(l.grid), l.block, 0, stream>>>(logits, probs, expert_index, gate,
                                                                             nonfinite_tokens, tokens, experts, top_k);
  check_launch("softmax_topk");
}

void softmax_topk_backward(const float* probs, const std::int32_t* expert_index, const float* d_gate,
                           std::int32_t* first_counts, float aux_alpha, float* d_logits, std::int64_t tokens,
                           std::int64_t experts, int top_k, cudaStream_t stream) {
  const auto l = token_launch(tokens);
  float aux_scale = 0.0f;
  if (first_counts != nullptr) {
    check_cuda_call(cudaMemsetAsync(first_counts, 0, static_cast<std::size_t>(experts) * 4, stream),
                    "cudaMemset first_counts");
    first_choice_count_kernel<<<grid_for(tokens, 256), 256, 0, stream>>>(expert_index, first_counts, tokens);
    check_launch("first_choice_count");
    const double T = static_cast<double>(tokens);
    aux_scale = static_cast<float>(static_cast<double>(aux_alpha) * static_cast<double>(experts) / (T * T));
  }
  softmax_topk_backward_kernel<<<static_cast<unsigned>(l.grid), l.block, 0, stream>>>(
      probs, expert_index, d_gate, first_counts, aux_scale, d_logits, tokens, experts, top_k);
  check_launch("softmax_topk_backward");
}

void expert_positions(const std::int32_t* expert_index, std::int32_t* chunk_counts, std::int32_t* expert_counts,
                      std::int32_t* position, std::int64_t assignments, std::int64_t experts, std::int64_t chunk,
                      cudaStream_t stream) {
  int device = 0;
  int max_optin = 0;
  check_cuda_call(cudaGetDevice(&device), "cudaGetDevice");
  check_cuda_call(cudaDeviceGetAttribute(&max_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
                  "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  const auto l = scan_launch(assignments, experts, chunk, max_optin);
  const auto shared = static_cast<std::size_t>(l.shared_bytes);
  if (l.shared_opt_in) {
    // Above 48 KiB of dynamic shared memory a kernel must opt in (CUDA C++ Programming Guide).
    check_cuda_call(cudaFuncSetAttribute(chunk_count_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(shared)),
                    "cudaFuncSetAttribute(chunk_count)");
    check_cuda_call(cudaFuncSetAttribute(chunk_assign_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         static_cast<int>(shared)),
                    "cudaFuncSetAttribute(chunk_assign)");
  }
  chunk_count_kernel<<<static_cast<unsigned>(l.chunks), 256, shared, stream>>>(expert_index, chunk_counts, assignments,
                                                                              experts, chunk);
  check_launch("chunk_count");
  chunk_scan_kernel<<<grid_for(experts, 256), 256, 0, stream>>>(chunk_counts, expert_counts, l.chunks, experts);
  check_launch("chunk_scan");
  chunk_assign_kernel<<<static_cast<unsigned>(l.chunks), 32, shared, stream>>>(expert_index, chunk_counts, position,
                                                                              assignments, experts, chunk);
  check_launch("chunk_assign");
}

void make_slots(const std::int32_t* expert_index, const std::int32_t* position, const std::int32_t* expert_offsets,
                std::int32_t* token_slot, std::int32_t* slot_assignment, std::int64_t assignments, std::int64_t capacity,
                cudaStream_t stream, std::int64_t max_blocks) {
  make_slots_kernel<<<grid_for(assignments, 256, max_blocks), 256, 0, stream>>>(expert_index, position, expert_offsets, token_slot,
                                                                     slot_assignment, assignments, capacity);
  check_launch("make_slots");
}

void dispatch_rows(const void* x, const std::int32_t* slot_assignment, void* out, std::int64_t rows,
                   std::int64_t tokens, std::int64_t d, cudaStream_t stream) {
  if (rows == 0) return;
  const auto l = row_launch(rows, d, 2);
  by_vector<DispatchLaunch>(l.vector, l, stream, static_cast<const bf16*>(x), slot_assignment, static_cast<bf16*>(out),
                            rows, tokens, d);
  check_launch("dispatch_rows");
}

void combine_rows(const void* rows, const std::int32_t* token_slot, const float* gate, void* y, std::int64_t tokens,
                  int top_k, std::int64_t d, cudaStream_t stream) {
  if (top_k < 1 || top_k > kMaxTopK) throw std::invalid_argument("combine_rows: top_k must be in [1, 8]");
  const auto l = row_launch(tokens, d, 2);
  by_vector<CombineLaunch>(l.vector, l, stream, static_cast<const bf16*>(rows), token_slot, gate, static_cast<bf16*>(y),
                           tokens, top_k, d);
  check_launch("combine_rows");
}

void combine_backward(const void* dy, const void* rows, const std::int32_t* slot_assignment,
                      const std::int32_t* token_slot, const float* gate, void* d_rows, float* d_gate,
                      std::int64_t n_rows, std::int64_t tokens, int top_k, std::int64_t d, cudaStream_t stream) {
  if (n_rows > 0) {
    const auto l = row_launch(n_rows, d, 2);
    by_vector<CombineBackwardLaunch>(l.vector, l, stream, static_cast<const bf16*>(dy), slot_assignment, gate,
                                     static_cast<bf16*>(d_rows), n_rows, tokens, d);
    check_launch("combine_backward_rows");
  }
  const std::int64_t A = tokens * top_k;
  const auto t = token_launch(A);
  gate_grad_kernel<<<static_cast<unsigned>(t.grid), t.block, 0, stream>>>(
      static_cast<const bf16*>(dy), static_cast<const bf16*>(rows), token_slot, d_gate, A, tokens, d);
  check_launch("gate_grad");
}

void activation_forward(const void* a, const void* b, void* h, std::int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  activation_forward_kernel<<<grid_for(n, 256), 256, 0, stream>>>(static_cast<const bf16*>(a),
                                                                   static_cast<const bf16*>(b), static_cast<bf16*>(h), n);
  check_launch("activation_forward");
}

void activation_backward(const void* a, const void* b, const void* dh, void* da, void* db, std::int64_t n,
                         cudaStream_t stream) {
  if (n == 0) return;
  activation_backward_kernel<<<grid_for(n, 256), 256, 0, stream>>>(
      static_cast<const bf16*>(a), static_cast<const bf16*>(b), static_cast<const bf16*>(dh), static_cast<bf16*>(da),
      static_cast<bf16*>(db), n);
  check_launch("activation_backward");
}

void scatter_dense(const std::int32_t* token_slot, const float* gate, void* dense, std::int64_t assignments,
                   std::int64_t tokens, std::int64_t slots, cudaStream_t stream, std::int64_t max_blocks) {
  scatter_dense_kernel<<<grid_for(assignments, 256, max_blocks), 256, 0, stream>>>(token_slot, gate, static_cast<bf16*>(dense),
                                                                        assignments, tokens, slots);
  check_launch("scatter_dense");
}

void gather_dense(const std::int32_t* token_slot, const void* dense, float* d_gate, std::int64_t assignments,
                  std::int64_t tokens, std::int64_t slots, cudaStream_t stream, std::int64_t max_blocks) {
  gather_dense_kernel<<<grid_for(assignments, 256, max_blocks), 256, 0, stream>>>(token_slot, static_cast<const bf16*>(dense), d_gate,
                                                                       assignments, tokens, slots);
  check_launch("gather_dense");
}

}  // namespace switchsim::ref::cuda::kernels
