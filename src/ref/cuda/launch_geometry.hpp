#pragma once
// Launch geometry of the memory-bound kernels, computed on the host (and tested on the CPU).

#include <cstdint>

namespace switchsim::ref::cuda {

// Widest vector (in elements) a row of `d` elements of `element_bytes` can be moved with, up to
// 16 bytes per load, given that every row starts 16-byte aligned in its buffer only when
// d * element_bytes is a multiple of 16 (rows are packed).
int vector_elements(std::int64_t d, int element_bytes);

// Row-parallel kernels (dispatch, combine, their backward): `threads_per_row` threads move one
// row of d elements with `vector` elements per load; a block of `block` threads holds
// `rows_per_block` rows; `grid` blocks cover all rows.
struct RowLaunch {
  int vector = 1;
  int threads_per_row = 32;
  int rows_per_block = 1;
  int block = 256;
  std::int64_t grid = 0;
};
RowLaunch row_launch(std::int64_t rows, std::int64_t d, int element_bytes, int block = 256);

// Softmax + top-k: one warp (32 threads) per token, `block` threads per block.
struct TokenLaunch {
  int tokens_per_block = 8;
  int block = 256;
  std::int64_t grid = 0;
};
TokenLaunch token_launch(std::int64_t tokens, int block = 256);

// Position-in-expert scan: assignments are cut into chunks of `chunk` assignments, one warp
// per chunk walks it 32 at a time; chunk counts per expert are then scanned across chunks.
// Dynamic shared memory above 48 KiB per block needs an opt-in (cudaFuncSetAttribute with
// cudaFuncAttributeMaxDynamicSharedMemorySize, CUDA C++ Programming Guide, "Shared Memory" of
// compute capability 7.x-9.x); up to 227 KiB on sm_90. More experts than that holds are rejected.
inline constexpr std::int64_t kDefaultSharedBytes = 48 * 1024;
inline constexpr std::int64_t kMaxSharedBytesSm90 = 227 * 1024;
struct ScanLaunch {
  std::int64_t chunk = 1024;
  std::int64_t chunks = 0;
  std::int64_t shared_bytes = 0;  // running count per expert, int32
  bool shared_opt_in = false;     // shared_bytes > 48 KiB: the launcher raises the kernels' limit
};
// Throws std::invalid_argument when 4*experts bytes exceed `max_shared_bytes` (the device's opt-in limit).
ScanLaunch scan_launch(std::int64_t assignments, std::int64_t experts, std::int64_t chunk = 1024,
                       std::int64_t max_shared_bytes = kMaxSharedBytesSm90);

// 1-D grids of the element-parallel kernels (make_slots, scatter_dense, gather_dense, init,
// activations) are capped at kMaxGridBlocks blocks; the kernels loop over the grid (grid-stride
// loops), so every element is visited whatever the cap.
inline constexpr std::int64_t kMaxGridBlocks = 65535 * 8;
std::int64_t capped_grid(std::int64_t n, int block, std::int64_t max_blocks = kMaxGridBlocks);

// The router GEMM's 2-D grid of 16x16 output tiles: x over columns, y over row tiles. grid.y is
// limited to 65,535 (CUDA's maximum y dimension), so blocks loop over row tiles y, y + grid_y, ...
// (T > 65,535 * 16 = 1,048,560 tokens would otherwise overflow it).
inline constexpr std::int64_t kMaxGridY = 65535;
struct TileLaunch {
  std::int64_t tile = 16;
  std::int64_t grid_x = 0;     // column tiles
  std::int64_t row_tiles = 0;  // all row tiles
  std::int64_t grid_y = 0;     // min(row_tiles, max_grid_y)
};
TileLaunch tile_launch(std::int64_t m, std::int64_t n, std::int64_t tile = 16, std::int64_t max_grid_y = kMaxGridY);

}  // namespace switchsim::ref::cuda
