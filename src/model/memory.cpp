#include "model/memory.hpp"

namespace switchsim::model {

MemoryBreakdown memory_per_device(const StepInputs& in, const MemoryShape& s) {
  const auto& m = in.model;
  const std::int64_t tp = in.layout.tp;
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t experts = m.experts.value_or(1);
  const std::int64_t local_expert_params =
      m.is_moe() ? s.params_expert / experts * in.layout.experts_per_device(experts) / tp : 0;
  const std::int64_t params = s.params_dense / tp + local_expert_params;

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
  const std::int64_t inner = std::max<std::int64_t>(1, m.heads / tp) * m.d_kv;
  const std::int64_t heads = std::max<std::int64_t>(1, m.heads / tp);
  const std::int64_t dff = std::max<std::int64_t>(1, m.d_ff / tp);
  const std::int64_t up = m.ffn_matrices() - 1;
  const std::int64_t ffn_per_row = d + 2 * up * dff;
  auto attention = [&](std::int64_t tokens, std::int64_t context) {
    return tokens * (2 * d + 5 * inner + heads * context);
  };
  const std::int64_t enc_layers = m.encoder_layers;
  const std::int64_t dec_layers = m.decoder_layers;
  const std::int64_t enc_sparse = m.sparse_layers_in(enc_layers);
  const std::int64_t dec_sparse = m.sparse_layers_in(dec_layers);
  std::int64_t elements = 0;
  elements += enc_layers * attention(s.encoder_tokens, m.seq_len_input);
  elements += dec_layers * (attention(s.decoder_tokens, m.seq_len_target) + attention(s.decoder_tokens, m.seq_len_input));
  elements += (enc_layers - enc_sparse) * s.encoder_tokens * ffn_per_row;
  elements += (dec_layers - dec_sparse) * s.decoder_tokens * ffn_per_row;
  // Switch layers: expert rows, dispatched and combined buffers, plus fp32 router probabilities.
  auto sparse = [&](std::int64_t tokens, std::int64_t slots) {
    return slots * (ffn_per_row + 2 * d) + tokens * experts * 4 / b;
  };
  elements += enc_sparse * sparse(s.encoder_tokens, s.expert_slots_encoder);
  elements += dec_sparse * sparse(s.decoder_tokens, s.expert_slots_decoder);
  // LM head logits in fp32 for the loss.
  elements += s.decoder_tokens * std::max<std::int64_t>(1, m.vocab / tp) * 4 / b;
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
