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
struct ScanLaunch {
  std::int64_t chunk = 1024;
  std::int64_t chunks = 0;
  std::int64_t shared_bytes = 0;  // running count per expert, int32
};
ScanLaunch scan_launch(std::int64_t assignments, std::int64_t experts, std::int64_t chunk = 1024);

}  // namespace switchsim::ref::cuda
