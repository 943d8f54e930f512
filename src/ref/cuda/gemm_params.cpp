#include "ref/cuda/gemm_params.hpp"

namespace switchsim::ref::cuda {

CublasGemm to_cublas(const RowMajorGemm& g) {
  CublasGemm c;
  c.transpose_first = g.trans_b;
  c.transpose_second = g.trans_a;
  c.m = g.n;
  c.n = g.m;
  c.k = g.k;
  // Row-major leading dimension = the stored row length.
  c.ld_first = g.trans_b ? g.k : g.n;   // B stored [k, n] or [n, k]
  c.ld_second = g.trans_a ? g.m : g.k;  // A stored [m, k] or [k, m]
  c.ld_c = g.n;
  c.stride_first = g.stride_b;
  c.stride_second = g.stride_a;
  c.stride_c = g.stride_c;
  c.batch = g.batch;
  c.accumulate = g.accumulate;
  return c;
}

RowMajorGemm single_gemm(std::string name, std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a, bool trans_b) {
  return RowMajorGemm{std::move(name), m, n, k, trans_a, trans_b, 1, 0, 0, 0, false};
}

namespace {
RowMajorGemm make(std::string name, std::int64_t experts, std::int64_t m, std::int64_t n, std::int64_t k, bool ta,
                  bool tb, std::int64_t stride_a, std::int64_t stride_b, std::int64_t stride_c, bool acc = false) {
  return RowMajorGemm{std::move(name), m, n, k, ta, tb, experts, stride_a, stride_b, stride_c, acc};
}
}  // namespace

std::vector<RowMajorGemm> expert_ffn_forward(std::int64_t e, std::int64_t rows, std::int64_t d, std::int64_t f,
                                             bool geglu) {
  std::vector<RowMajorGemm> out;
  // A = X W1: [rows, d] x [d, f]
  out.push_back(make("fwd_w1", e, rows, f, d, false, false, rows * d, d * f, rows * f));
  if (geglu) out.push_back(make("fwd_w3", e, rows, f, d, false, false, rows * d, d * f, rows * f));
  // Y = H W2: [rows, f] x [f, d]
  out.push_back(make("fwd_w2", e, rows, d, f, false, false, rows * f, f * d, rows * d));
  return out;
}

std::vector<RowMajorGemm> expert_ffn_backward(std::int64_t e, std::int64_t rows, std::int64_t d, std::int64_t f,
                                              bool geglu) {
  std::vector<RowMajorGemm> out;
  // dH = dY W2^T: [rows, d] x [d, f] with W2 stored [f, d]
  out.push_back(make("bwd_dh", e, rows, f, d, false, true, rows * d, f * d, rows * f));
  // dW2 = H^T dY: [f, rows] x [rows, d] with H stored [rows, f]
  out.push_back(make("bwd_dw2", e, f, d, rows, true, false, rows * f, rows * d, f * d));
  if (geglu) {
    // dX = dB W3^T (then += dA W1^T), dW3 = X^T dB
    out.push_back(make("bwd_dx_w3", e, rows, d, f, false, true, rows * f, d * f, rows * d));
    out.push_back(make("bwd_dw3", e, d, f, rows, true, false, rows * d, rows * f, d * f));
  }
  out.push_back(make("bwd_dx_w1", e, rows, d, f, false, true, rows * f, d * f, rows * d, geglu));
  out.push_back(make("bwd_dw1", e, d, f, rows, true, false, rows * d, rows * f, d * f));
  return out;
}

}  // namespace switchsim::ref::cuda
