#include "ref/cuda/launch_geometry.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace switchsim::ref::cuda {

int vector_elements(std::int64_t d, int element_bytes) {
  if (d <= 0 || element_bytes <= 0 || 16 % element_bytes != 0) throw std::invalid_argument("vector_elements");
  int vec = 16 / element_bytes;
  while (vec > 1 && (d % vec != 0)) vec /= 2;
  return vec;
}

RowLaunch row_launch(std::int64_t rows, std::int64_t d, int element_bytes, int block) {
  if (block < 32 || block % 32 != 0 || rows < 0) throw std::invalid_argument("row_launch");
  RowLaunch l;
  l.block = block;
  l.vector = vector_elements(d, element_bytes);
  const std::int64_t vectors = d / l.vector;
  // Smallest power of two >= vectors, between a warp and the block.
  int t = 32;
  while (t < vectors && t < block) t *= 2;
  l.threads_per_row = t;
  l.rows_per_block = block / t;
  l.grid = (rows + l.rows_per_block - 1) / l.rows_per_block;
  return l;
}

TokenLaunch token_launch(std::int64_t tokens, int block) {
  if (block < 32 || block % 32 != 0 || tokens < 0) throw std::invalid_argument("token_launch");
  TokenLaunch l;
  l.block = block;
  l.tokens_per_block = block / 32;
  l.grid = (tokens + l.tokens_per_block - 1) / l.tokens_per_block;
  return l;
}

ScanLaunch scan_launch(std::int64_t assignments, std::int64_t experts, std::int64_t chunk,
                       std::int64_t max_shared_bytes) {
  if (chunk <= 0 || chunk % 32 != 0 || experts <= 0 || assignments < 0) throw std::invalid_argument("scan_launch");
  ScanLaunch l;
  l.chunk = chunk;
  l.chunks = std::max<std::int64_t>(1, (assignments + chunk - 1) / chunk);
  l.shared_bytes = experts * 4;
  if (l.shared_bytes > max_shared_bytes)
    throw std::invalid_argument("position scan: " + std::to_string(experts) + " experts need " +
                                std::to_string(l.shared_bytes) + " bytes of shared memory per block, more than the " +
                                std::to_string(max_shared_bytes) + " the device allows");
  l.shared_opt_in = l.shared_bytes > kDefaultSharedBytes;
  return l;
}

std::int64_t capped_grid(std::int64_t n, int block, std::int64_t max_blocks) {
  if (block <= 0 || n < 0 || max_blocks < 1) throw std::invalid_argument("capped_grid");
  return std::clamp<std::int64_t>((n + block - 1) / block, 1, max_blocks);
}

TileLaunch tile_launch(std::int64_t m, std::int64_t n, std::int64_t tile, std::int64_t max_grid_y) {
  if (m < 0 || n < 0 || tile <= 0 || max_grid_y < 1) throw std::invalid_argument("tile_launch");
  TileLaunch l;
  l.tile = tile;
  l.grid_x = std::max<std::int64_t>(1, (n + tile - 1) / tile);
  l.row_tiles = std::max<std::int64_t>(1, (m + tile - 1) / tile);
  l.grid_y = std::min(l.row_tiles, max_grid_y);
  return l;
}

}  // namespace switchsim::ref::cuda
