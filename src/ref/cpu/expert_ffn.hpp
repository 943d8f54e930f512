#pragma once
// One expert's feed-forward block on a contiguous [n, d] slab of tokens, forward and backward,
// with OpenBLAS sgemm. ReLU: y = relu(x Wi) Wo. GEGLU: y = (gelu(x Wi0) * (x Wi1)) Wo, with
// the tanh approximation of GELU (as in T5 v1.1).

#include <cstdint>
#include <vector>

namespace switchsim::ref::cpu {

struct ExpertWeights {
  std::vector<float> wi;   // [d, d_ff]
  std::vector<float> wi1;  // [d, d_ff], GEGLU only (the linear gate)
  std::vector<float> wo;   // [d_ff, d]
};

// What forward keeps for backward.
struct ExpertActivations {
  std::int64_t rows = 0;
  std::vector<float> x;  // [n, d] input
  std::vector<float> a;  // [n, d_ff] x Wi (pre-activation)
  std::vector<float> b;  // [n, d_ff] x Wi1 (GEGLU)
  std::vector<float> h;  // [n, d_ff] hidden after the nonlinearity
};

// Backward's temporaries, kept between calls so that a timed iteration measures arithmetic,
// not the allocator (a real implementation preallocates its workspaces).
struct ExpertScratch {
  std::vector<float> dh;  // [n, d_ff] gradient of the hidden activations (then of x Wi)
  std::vector<float> db;  // [n, d_ff] gradient of x Wi1 (GEGLU)
};

struct ExpertShape {
  std::int64_t d_model = 0;
  std::int64_t d_ff = 0;
  bool geglu = false;
};

// y = FFN(x); `act.x` must hold the [rows, d] input. Writes y [rows, d].
void expert_forward(const ExpertShape& s, const ExpertWeights& w, ExpertActivations& act, std::vector<float>& y);
// Given dy [rows, d]: writes dx [rows, d] and the weight gradients (overwritten).
void expert_backward(const ExpertShape& s, const ExpertWeights& w, const ExpertActivations& act,
                     const std::vector<float>& dy, std::vector<float>& dx, ExpertWeights& grad,
                     ExpertScratch& scratch);

// Row-major C[m,n] = alpha * op(A) op(B) + beta * C; a thin wrapper over cblas_sgemm.
void sgemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
           const float* b, float beta, float* c);

float gelu(float a);
float gelu_derivative(float a);

}  // namespace switchsim::ref::cpu
