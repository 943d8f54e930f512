#include "ref/cuda/launch_geometry.hpp"

#include <algorithm>
#include <stdexcept>

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

ScanLaunch scan_launch(std::int64_t assignments, std::int64_t experts, std::int64_t chunk) {
  if (chunk <= 0 || chunk % 32 != 0 || experts <= 0 || assignments < 0) throw std::invalid_argument("scan_launch");
  ScanLaunch l;
  l.chunk = chunk;
  l.chunks = std::max<std::int64_t>(1, (assignments + chunk - 1) / chunk);
  l.shared_bytes = experts * 4;
  return l;
}

}  // namespace switchsim::ref::cuda
