#include "ref/cpu/expert_ffn.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace switchsim::ref::cpu {

namespace {
blasint as_blas(std::int64_t v) {
  if (v < 0 || v > std::numeric_limits<blasint>::max()) throw std::length_error("GEMM dimension too large for BLAS");
  return static_cast<blasint>(v);
}
constexpr float kGeluC = 0.7978845608028654F;  // sqrt(2 / pi)
constexpr float kGeluA = 0.044715F;
}  // namespace

void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
           const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  const std::int64_t lda = trans_a ? m : k;
  const std::int64_t ldb = trans_b ? k : n;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, as_blas(m),
              as_blas(n), as_blas(k), alpha, a, as_blas(lda), b, as_blas(ldb), beta, c, as_blas(n));
}

float gelu(float a) { return 0.5F * a * (1.0F + std::tanh(kGeluC * (a + kGeluA * a * a * a))); }

float gelu_derivative(float a) {
  const float th = std::tanh(kGeluC * (a + kGeluA * a * a * a));
  return 0.5F * (1.0F + th) + 0.5F * a * (1.0F - th * th) * kGeluC * (1.0F + 3.0F * kGeluA * a * a);
}

void expert_forward(const ExpertShape& s, const ExpertWeights& w, ExpertActivations& act, std::vector<float>& y) {
  const std::int64_t n = act.rows;
  const auto hidden = static_cast<std::size_t>(n * s.d_ff);
  act.a.resize(hidden);
  act.h.resize(hidden);
  y.resize(static_cast<std::size_t>(n * s.d_model));
  sgemm(false, false, n, s.d_ff, s.d_model, 1.0F, act.x.data(), w.wi.data(), 0.0F, act.a.data());
  if (s.geglu) {
    act.b.resize(hidden);
    sgemm(false, false, n, s.d_ff, s.d_model, 1.0F, act.x.data(), w.wi1.data(), 0.0F, act.b.data());
    for (std::size_t i = 0; i < hidden; ++i) act.h[i] = gelu(act.a[i]) * act.b[i];
  } else {
    // A select, not a branch: with random signs a branch mispredicts half the time and made the
    // ReLU as slow as a third of the expert's GEMMs; this form vectorizes (max).
    for (std::size_t i = 0; i < hidden; ++i) act.h[i] = std::max(act.a[i], 0.0F);
  }
  sgemm(false, false, n, s.d_model, s.d_ff, 1.0F, act.h.data(), w.wo.data(), 0.0F, y.data());
}

void expert_backward(const ExpertShape& s, const ExpertWeights& w, const ExpertActivations& act,
                     const std::vector<float>& dy, std::vector<float>& dx, ExpertWeights& grad,
                     ExpertScratch& scratch) {
  const std::int64_t n = act.rows;
  const auto hidden = static_cast<std::size_t>(n * s.d_ff);
  if (n == 0) {  // no tokens reached this expert: zero gradients
    grad.wo.assign(w.wo.size(), 0.0F);
    grad.wi.assign(w.wi.size(), 0.0F);
    if (s.geglu) grad.wi1.assign(w.wi1.size(), 0.0F);
    dx.clear();
    return;
  }
  // Every output below is written by an sgemm with beta = 0 first: no zero-fill needed.
  grad.wo.resize(w.wo.size());
  grad.wi.resize(w.wi.size());
  if (s.geglu) grad.wi1.resize(w.wi1.size());
  dx.resize(static_cast<std::size_t>(n * s.d_model));
  auto& dh = scratch.dh;
  dh.resize(hidden);
  // dWo = H^T dY, dH = dY Wo^T
  sgemm(true, false, s.d_ff, s.d_model, n, 1.0F, act.h.data(), dy.data(), 0.0F, grad.wo.data());
  sgemm(false, true, n, s.d_ff, s.d_model, 1.0F, dy.data(), w.wo.data(), 0.0F, dh.data());
  if (s.geglu) {
    auto& db = scratch.db;
    db.resize(hidden);
    for (std::size_t i = 0; i < hidden; ++i) {
      db[i] = dh[i] * gelu(act.a[i]);
      dh[i] = dh[i] * act.b[i] * gelu_derivative(act.a[i]);  // now dA
    }
    sgemm(true, false, s.d_model, s.d_ff, n, 1.0F, act.x.data(), db.data(), 0.0F, grad.wi1.data());
    sgemm(false, true, n, s.d_model, s.d_ff, 1.0F, db.data(), w.wi1.data(), 0.0F, dx.data());
  } else {
    for (std::size_t i = 0; i < hidden; ++i) dh[i] = act.a[i] > 0.0F ? dh[i] : 0.0F;  // a select (see forward)
  }
  sgemm(true, false, s.d_model, s.d_ff, n, 1.0F, act.x.data(), dh.data(), 0.0F, grad.wi.data());
  sgemm(false, true, n, s.d_model, s.d_ff, 1.0F, dh.data(), w.wi.data(), s.geglu ? 1.0F : 0.0F, dx.data());
}

}  // namespace switchsim::ref::cpu
