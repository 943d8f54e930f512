#include "model/memory.hpp"

#include "units/checked.hpp"

namespace switchsim::model {

MemoryBreakdown memory_per_device(const StepInputs& in, const MemoryShape& s) {
  const auto& m = in.model;
  const std::int64_t tp = in.layout.tp;
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t experts = m.experts.value_or(1);
  const std::int64_t local_expert_params =
      m.is_moe() ? size_product("local expert parameters", {s.params_expert / experts, in.layout.experts_per_device(experts)}) / tp : 0;
  const std::int64_t params = size_sum("local parameters", {s.params_dense / tp, local_expert_params});

  MemoryBreakdown r;
  r.params_local = params;
  r.capacity = in.cluster.device.memory;
  const std::int64_t master = m.compute_dtype == DType::fp32 ? 0 : 4;
  r.weights = Bytes(params) * (b + master);
  r.gradients = Bytes(params) * 4;
  if (in.optimizer == Optimizer::adam) {
    r.optimizer_states = Bytes(params) * 8;
  } else {
    // Adafactor's factored second moment: one row and one column vector per matrix,
    // about (rows + cols) / (rows * cols) of the parameters; d_model-wide matrices dominate.
    r.optimizer_states = Bytes::from_double(static_cast<double>(params) * 4.0 * 2.0 / static_cast<double>(m.d_model));
  }

  // Saved activations per token, in elements (see phase_costs.cpp for the kernels).
  const std::int64_t d = m.d_model;
  const std::int64_t inner = size_product("attention width", {std::max<std::int64_t>(1, m.heads / tp), m.d_kv});
  const std::int64_t heads = std::max<std::int64_t>(1, m.heads / tp);
  const std::int64_t dff = std::max<std::int64_t>(1, m.d_ff / tp);
  const std::int64_t up = m.ffn_matrices() - 1;
  const std::int64_t ffn_per_row = size_sum("FFN activations per row", {d, size_product("FFN width", {2, up, dff})});
  auto attention = [&](std::int64_t tokens, std::int64_t context) {
    return size_product("attention activations",
                        {tokens, size_sum("attention activations per token",
                                          {2 * d, size_product("attention activations", {5, inner}), size_product("scores", {heads, context})})});
  };
  const std::int64_t enc_layers = m.encoder_layers;
  const std::int64_t dec_layers = m.decoder_layers;
  const std::int64_t enc_sparse = m.sparse_layers_in(enc_layers);
  const std::int64_t dec_sparse = m.sparse_layers_in(dec_layers);
  std::int64_t elements = 0;
  auto add = [&elements](std::int64_t more) { elements = size_sum("saved activations", {elements, more}); };
  add(size_product("encoder attention activations", {enc_layers, attention(s.encoder_tokens, m.seq_len_input)}));
  add(size_product("decoder attention activations",
                   {dec_layers, size_sum("decoder attention activations", {attention(s.decoder_tokens, m.seq_len_target),
                                                                           attention(s.decoder_tokens, m.seq_len_input)})}));
  add(size_product("encoder FFN activations", {enc_layers - enc_sparse, s.encoder_tokens, ffn_per_row}));
  add(size_product("decoder FFN activations", {dec_layers - dec_sparse, s.decoder_tokens, ffn_per_row}));
  // Switch layers: expert rows, dispatched and combined buffers, plus fp32 router probabilities.
  auto sparse = [&](std::int64_t tokens, std::int64_t slots) {
    return size_sum("Switch layer activations", {size_product("expert rows", {slots, ffn_per_row + 2 * d}),
                                                 size_product("router probabilities", {tokens, experts, 4}) / b});
  };
  add(size_product("encoder Switch activations", {enc_sparse, sparse(s.encoder_tokens, s.expert_slots_encoder)}));
  add(size_product("decoder Switch activations", {dec_sparse, sparse(s.decoder_tokens, s.expert_slots_decoder)}));
  // LM head logits in fp32 for the loss.
  add(size_product("logits", {s.decoder_tokens, std::max<std::int64_t>(1, m.vocab / tp), 4}) / b);
  r.activations = Bytes(elements) * b;
  r.alltoall_buffers = Bytes(s.alltoall_bytes) * 2;
  return r;
}

nlohmann::json to_json(const MemoryBreakdown& m) {
  return nlohmann::json{{"weights_bytes", m.weights.count()},
                        {"gradients_bytes", m.gradients.count()},
                        {"optimizer_states_bytes", m.optimizer_states.count()},
                        {"activations_bytes", m.activations.count()},
                        {"alltoall_buffers_bytes", m.alltoall_buffers.count()},
                        {"total_bytes", m.total().count()},
                        {"hbm_bytes", m.capacity.count()},
                        {"params_local", m.params_local}};
}

}  // namespace switchsim::model
