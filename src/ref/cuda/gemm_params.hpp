#pragma once
// Row-major GEMMs as cuBLAS (column-major) calls, and the expert FFN's GEMM list.
// Row-major C[m,n] = op(A)[m,k] * op(B)[k,n] is, read column-major, C^T = op(B)^T * op(A)^T:
// cuBLAS gets B first, A second, with m and n swapped and the row-major leading dimensions.

#include <cstdint>
#include <string>
#include <vector>

namespace switchsim::ref::cuda {

struct RowMajorGemm {
  std::string name;       // e.g. "fwd_w1": what it computes, for error messages and benches
  std::int64_t m = 0;     // rows of C
  std::int64_t n = 0;     // columns of C
  std::int64_t k = 0;     // inner dimension
  bool trans_a = false;   // A stored [k, m] (row-major) and used transposed
  bool trans_b = false;   // B stored [n, k] and used transposed
  std::int64_t batch = 1;
  std::int64_t stride_a = 0;  // elements between batch members (0: not batched)
  std::int64_t stride_b = 0;
  std::int64_t stride_c = 0;
  bool accumulate = false;    // beta = 1 (C += ...), e.g. dX of GEGLU from two GEMMs
  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(batch); }
};

// Arguments of cublasGemmStridedBatchedEx(handle, op_first, op_second, m, n, k, alpha,
//   first, ld_first, stride_first, second, ld_second, stride_second, beta, C, ld_c, stride_c, batch)
// where first = row-major B and second = row-major A.
struct CublasGemm {
  bool transpose_first = false;
  bool transpose_second = false;
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  std::int64_t ld_first = 0;
  std::int64_t ld_second = 0;
  std::int64_t ld_c = 0;
  std::int64_t stride_first = 0;
  std::int64_t stride_second = 0;
  std::int64_t stride_c = 0;
  std::int64_t batch = 1;
  bool accumulate = false;
};

CublasGemm to_cublas(const RowMajorGemm& g);

// One unbatched GEMM (the einsum baseline's dispatch and combine, the bench's square GEMM).
RowMajorGemm single_gemm(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a = false,
                         bool trans_b = false);

// The GEMMs of an expert FFN on `experts` experts of `rows` tokens each ([experts, rows, d],
// capacity-padded: rows = C, or one rank's block of the all-to-all). Weights per expert:
// W1 [d, d_ff], W3 [d, d_ff] (GEGLU's linear branch), W2 [d_ff, d]; all row-major, batched
// with strides d*d_ff. Forward: fwd_w1, (fwd_w3), fwd_w2. Backward: bwd_dh, bwd_dw2,
// (bwd_dx_w3, bwd_dw3), bwd_dx_w1, bwd_dw1.
std::vector<RowMajorGemm> expert_ffn_forward(std::int64_t experts, std::int64_t rows, std::int64_t d_model,
                                             std::int64_t d_ff, bool geglu);
std::vector<RowMajorGemm> expert_ffn_backward(std::int64_t experts, std::int64_t rows, std::int64_t d_model,
                                              std::int64_t d_ff, bool geglu);

}  // namespace switchsim::ref::cuda
