#include "model/phase_costs.hpp"

#include <algorithm>
#include <numeric>

#include "units/checked.hpp"

namespace switchsim::model {

PhaseCost& PhaseCost::operator+=(const PhaseCost& other) {
  forward += other.forward;
  backward += other.backward;
  forward_flops += other.forward_flops;
  return *this;
}

PhaseCosts::PhaseCosts(const compute::KernelModel& kernels, const config::ModelConfig& model, std::int64_t tp)
    : kernels_(kernels), model_(model), tp_(tp) {}

PhaseCost PhaseCosts::gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, DType dtype) const {
  PhaseCost c;
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0) return c;
  const compute::GemmShape forward{m, n, k, batch, dtype};
  c.forward = kernels_.gemm_time(forward);
  // dX[m,k] = dY[m,n] W^T (B transposed: W is stored [k,n]) and dW[k,n] = X^T dY.
  c.backward = kernels_.gemm_time({m, k, n, batch, dtype, true}) + kernels_.gemm_time({k, n, m, batch, dtype});
  c.forward_flops = compute::gemm_flops(forward);
  return c;
}

PhaseCost PhaseCosts::memory(Bytes bytes) const {
  PhaseCost c;
  c.forward = kernels_.memory_time(bytes);
  c.backward = kernels_.memory_time(bytes);
  return c;
}

PhaseCost PhaseCosts::attention(std::int64_t sequences, std::int64_t query_len, std::int64_t key_len,
                                bool cross) const {
  const DType dt = model_.compute_dtype;
  const std::int64_t b = dtype_bytes(dt);
  const std::int64_t d = model_.d_model;
  const std::int64_t heads = std::max<std::int64_t>(1, model_.heads / tp_);
  const std::int64_t inner = size_product("attention width", {heads, model_.d_kv});
  const std::int64_t tq = size_product("query tokens", {sequences, query_len});
  const std::int64_t tk = size_product("key tokens", {sequences, key_len});
  PhaseCost c = memory(Bytes(size_product("layer-norm bytes", {2, tq, d, b})));  // layer norm
  if (cross) {
    c += gemm(tq, inner, d, 1, dt);      // Q
    c += gemm(tk, size_product("K, V width", {2, inner}), d, 1, dt);  // K, V from the encoder output
  } else {
    c += gemm(tq, size_product("Q, K, V width", {3, inner}), d, 1, dt);  // Q, K, V
  }
  c += attention_core(sequences, query_len, key_len);
  c += gemm(tq, d, inner, 1, dt);                                                     // output projection
  c += memory(Bytes(size_product("residual bytes", {3, tq, d, b})));                  // residual add
  return c;
}

PhaseCost PhaseCosts::attention_core(std::int64_t sequences, std::int64_t query_len, std::int64_t key_len) const {
  const DType dt = model_.compute_dtype;
  const std::int64_t b = dtype_bytes(dt);
  const std::int64_t heads = std::max<std::int64_t>(1, model_.heads / tp_);
  const std::int64_t batch = size_product("attention batch", {sequences, heads});
  PhaseCost c = gemm(query_len, key_len, model_.d_kv, batch, dt);                                // scores
  c += memory(Bytes(size_product("softmax bytes", {2, batch, query_len, key_len, b})));            // softmax
  c += gemm(query_len, model_.d_kv, key_len, batch, dt);                                          // probs x V
  return c;
}

PhaseCost PhaseCosts::dense_ffn(std::int64_t tokens) const {
  const DType dt = model_.compute_dtype;
  const std::int64_t b = dtype_bytes(dt);
  const std::int64_t d = model_.d_model;
  const std::int64_t dff = std::max<std::int64_t>(1, model_.d_ff / tp_);
  const std::int64_t up = model_.ffn_matrices() - 1;  // wi (ReLU) or wi_0, wi_1 (GEGLU)
  PhaseCost c = memory(Bytes(size_product("layer-norm bytes", {2, tokens, d, b})));  // layer norm
  c += gemm(tokens, up * dff, d, 1, dt);
  c += memory(Bytes(size_product("FFN activation bytes", {up + 1, tokens, dff, b})));  // activation (and GEGLU product)
  c += gemm(tokens, d, dff, 1, dt);
  c += memory(Bytes(size_product("residual bytes", {3, tokens, d, b})));  // residual add
  return c;
}

PhaseCost PhaseCosts::router(std::int64_t tokens) const {
  const DType rt = model_.router_dtype;
  const std::int64_t e = model_.experts.value_or(1);
  PhaseCost c = gemm(tokens, e, model_.d_model, 1, rt);
  // softmax (read + write), top-k (read), position in expert: cumsum over the one-hot [T, E]
  // mask (read + write), all in the router dtype.
  PhaseCost traffic = memory(Bytes(size_product("router bytes", {5, tokens, e, dtype_bytes(rt)})));
  // Where softmax and top-k, and the logits' gradient, cost more than their bytes (a CPU's
  // scalar loops, calibrated), each direction pays the slower of the two.
  traffic.forward = std::max(traffic.forward, kernels_.routing_time(tokens, e, model_.top_k) + kernels_.overhead());
  traffic.backward =
      std::max(traffic.backward, kernels_.routing_backward_time(tokens, e, model_.top_k) + kernels_.overhead());
  c += traffic;
  return c;
}

PhaseCost PhaseCosts::dispatch(std::int64_t tokens, std::int64_t slots) const {
  const std::int64_t b = dtype_bytes(model_.compute_dtype);
  const std::int64_t rows = size_sum("dispatch rows", {size_product("assignments", {tokens, model_.top_k}), slots});
  return memory(Bytes(size_product("dispatch bytes", {rows, model_.d_model, b})));
}

PhaseCosts::ExpertDims PhaseCosts::expert_dims() const {
  const DType dt = model_.compute_dtype;
  return ExpertDims{dt, dtype_bytes(dt), model_.d_model, std::max<std::int64_t>(1, model_.d_ff / tp_),
                    model_.ffn_matrices() - 1};
}

PhaseCost PhaseCosts::expert_ffn(const std::vector<std::int64_t>& rows_per_expert,
                                 std::optional<std::int64_t> block_rows) const {
  const auto [dt, b, d, dff, up] = expert_dims();
  PhaseCost c;
  if (rows_per_expert.empty()) return c;
  const bool even = std::all_of(rows_per_expert.begin(), rows_per_expert.end(),
                                [&](std::int64_t r) { return r == rows_per_expert.front(); });
  std::int64_t total_rows = 0;
  for (std::int64_t r : rows_per_expert) total_rows = size_sum("expert rows", {total_rows, r});
  if (total_rows == 0) return c;
  if (even && !block_rows) {
    // Strided-batched GEMMs over [E_local, rows, d].
    const auto experts = static_cast<std::int64_t>(rows_per_expert.size());
    const std::int64_t rows = rows_per_expert.front();
    c += gemm(rows, up * dff, d, experts, dt);
    c += memory(Bytes(size_product("expert activation bytes", {up + 1, total_rows, dff, b})));
    c += gemm(rows, d, dff, experts, dt);
  } else {
    // Grouped GEMM over ragged experts: one kernel whose tiles are the sum of each expert's
    // tiles, modelled as the GEMM of all rows with each expert's rows padded to whole tiles.
    const std::int64_t tile = block_rows.value_or(kernels_.device().gemm_tile);
    std::int64_t padded = 0;
    for (std::int64_t r : rows_per_expert) padded = size_sum("padded expert rows", {padded, size_product("padded rows", {(r + tile - 1) / tile, tile})});
    PhaseCost up_proj = gemm(padded, up * dff, d, 1, dt);
    PhaseCost down_proj = gemm(padded, d, dff, 1, dt);
    // Useful FLOPs are those of the real rows.
    up_proj.forward_flops = Flops(2.0 * static_cast<double>(total_rows) * static_cast<double>(up * dff) * static_cast<double>(d));
    down_proj.forward_flops = Flops(2.0 * static_cast<double>(total_rows) * static_cast<double>(d) * static_cast<double>(dff));
    c += up_proj;
    c += memory(Bytes(size_product("expert activation bytes", {up + 1, total_rows, dff, b})));
    c += down_proj;
  }
  return c;
}

PhaseCost PhaseCosts::expert_ffn_loop(const std::vector<std::int64_t>& rows_per_expert) const {
  const auto [dt, b, d, dff, up] = expert_dims();
  std::int64_t total_rows = 0;
  for (const std::int64_t rows : rows_per_expert) total_rows = size_sum("expert rows", {total_rows, std::max<std::int64_t>(0, rows)});
  // The bytes one step of these experts cycles through between two uses of a weight (its
  // forward GEMM and its backward ones): every local expert's weights and weight gradients, and
  // the rows' inputs, hidden activations and outputs with their gradients.
  const auto experts = static_cast<std::int64_t>(rows_per_expert.size());
  const Bytes working_set(size_sum(
      "expert working set bytes",
      {size_product("expert weight bytes", {2, experts, up + 1, d, dff, b}),
       size_product("expert activation bytes", {2, total_rows, size_sum("row width", {d, d, size_product("hidden width", {up + 1, dff})}), b})}));
  // One GEMM Y[m,n] = X[m,k] W[k,n] and its two backward GEMMs: the forward and dX read W,
  // dW writes its gradient; each of the three pays for that matrix's trip beyond the cache when
  // the working set outgrows it (compute/kernel_model.hpp).
  auto streamed_gemm = [&](std::int64_t m, std::int64_t n, std::int64_t k) {
    PhaseCost c = gemm(m, n, k, 1, dt);
    const Picoseconds trip = kernels_.weight_streaming_time(Bytes(size_product("weight bytes", {k, n, b})), working_set);
    c.forward += trip;
    c.backward += trip + trip;
    return c;
  };
  PhaseCost c;
  for (const std::int64_t rows : rows_per_expert) {
    if (rows <= 0) {
      c.backward += kernels_.memory_time(Bytes(size_product("expert gradient bytes", {up + 1, d, dff, b})));
      continue;
    }
    for (std::int64_t i = 0; i < up; ++i) c += streamed_gemm(rows, dff, d);
    c += memory(Bytes(size_product("expert activation bytes", {up + 1, rows, dff, b})));
    c += streamed_gemm(rows, d, dff);
  }
  return c;
}

PhaseCost PhaseCosts::combine(std::int64_t tokens, std::int64_t kept_rows, std::int64_t returned_rows) const {
  const std::int64_t b = dtype_bytes(model_.compute_dtype);
  const std::int64_t row = size_product("row bytes", {model_.d_model, b});
  const std::int64_t assignments = size_product("assignments", {tokens, model_.top_k});
  PhaseCost c;
  // Forward: read the kept expert outputs and the residual, write the combined tokens.
  c.forward = kernels_.memory_time(
      Bytes(size_product("combine bytes", {size_sum("combine rows", {kept_rows, assignments, assignments}), row})));
  // Backward: read d(out) and write the residual's gradient; write d(expert outputs) into every
  // returned row (padding zeroed); read d(out) and the expert output of each kept assignment
  // for d(gate).
  c.backward = kernels_.memory_time(Bytes(size_product(
      "combine bytes", {size_sum("combine rows", {tokens, tokens, returned_rows, kept_rows, kept_rows}), row})));
  return c;
}

PhaseCost PhaseCosts::embedding(std::int64_t tokens) const {
  return memory(Bytes(size_product("embedding bytes", {tokens, model_.d_model, dtype_bytes(model_.compute_dtype)})));
}

PhaseCost PhaseCosts::lm_head_and_loss(std::int64_t decoder_tokens) const {
  const DType dt = model_.compute_dtype;
  const std::int64_t vocab = std::max<std::int64_t>(1, model_.vocab / tp_);
  PhaseCost c = gemm(decoder_tokens, vocab, model_.d_model, 1, dt);
  c += memory(Bytes(size_product("loss bytes", {3, decoder_tokens, vocab, 4})));  // softmax cross-entropy in fp32
  return c;
}

Picoseconds PhaseCosts::optimizer(std::int64_t params, bool adam) const {
  // fp32 master weights: Adam reads param, grad, m, v and writes param, m, v (28 B/param);
  // Adafactor (factored second moment, no momentum, as in the paper) reads param and grad
  // and writes param (12 B/param; its row/column statistics are negligible). Both then
  // write the compute-dtype copy of the weights.
  const std::int64_t per_param = (adam ? 28 : 12) + dtype_bytes(model_.compute_dtype);
  return kernels_.memory_time(Bytes(params) * per_param);
}

}  // namespace switchsim::model
