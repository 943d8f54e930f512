#include "model/remat.hpp"

#include <algorithm>

#include "model/memory.hpp"

namespace switchsim::model {

Bytes activation_bytes(const StepInputs& in, const MemoryShape& s, Remat remat) {
  const auto& m = in.model;
  const std::int64_t tp = in.layout.tp;
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t experts = m.experts.value_or(1);
  const std::int64_t d = m.d_model;
  const std::int64_t heads = std::max<std::int64_t>(1, m.heads / tp);
  const std::int64_t inner = heads * m.d_kv;
  const std::int64_t dff = std::max<std::int64_t>(1, m.d_ff / tp);
  const std::int64_t up = m.ffn_matrices() - 1;
  const std::int64_t ffn_per_row = d + 2 * up * dff;
  const bool keep_scores = remat == Remat::none;
  auto attention = [&](std::int64_t tokens, std::int64_t context) {
    return tokens * (2 * d + 5 * inner + (keep_scores ? heads * context : 0));
  };
  // Switch layers: expert rows, dispatched and combined buffers, fp32 router probabilities,
  // and the einsum's dispatch and combine masks.
  auto sparse = [&](std::int64_t tokens, std::int64_t slots, std::int64_t mask) {
    return slots * (ffn_per_row + 2 * d) + tokens * experts * 4 / b + 2 * mask;
  };
  const std::int64_t enc_attention = attention(s.encoder_tokens, m.seq_len_input);
  const std::int64_t dec_attention =
      attention(s.decoder_tokens, m.seq_len_target) + attention(s.decoder_tokens, m.seq_len_input);
  const std::int64_t enc_ffn = s.encoder_tokens * ffn_per_row;
  const std::int64_t dec_ffn = s.decoder_tokens * ffn_per_row;
  const std::int64_t enc_sparse = sparse(s.encoder_tokens, s.expert_slots_encoder, s.mask_elements_encoder);
  const std::int64_t dec_sparse = sparse(s.decoder_tokens, s.expert_slots_decoder, s.mask_elements_decoder);
  const std::int64_t enc_layers = m.encoder_layers;
  const std::int64_t dec_layers = m.decoder_layers;
  const std::int64_t enc_switch = m.sparse_layers_in(enc_layers);
  const std::int64_t dec_switch = m.sparse_layers_in(dec_layers);
  // LM head logits in fp32 for the loss.
  const std::int64_t logits = s.decoder_tokens * std::max<std::int64_t>(1, m.vocab / tp) * 4 / b;

  std::int64_t elements = logits;
  if (remat == Remat::full) {
    // Each layer's input, plus the largest layer's activations while it is recomputed.
    elements += (enc_layers * s.encoder_tokens + dec_layers * s.decoder_tokens) * d;
    std::int64_t largest = 0;
    if (enc_layers > 0) largest = std::max(largest, enc_attention + (enc_switch > 0 ? enc_sparse : enc_ffn));
    if (enc_layers > enc_switch) largest = std::max(largest, enc_attention + enc_ffn);
    if (dec_layers > 0) largest = std::max(largest, dec_attention + (dec_switch > 0 ? dec_sparse : dec_ffn));
    if (dec_layers > dec_switch) largest = std::max(largest, dec_attention + dec_ffn);
    elements += largest;
  } else {
    elements += enc_layers * enc_attention + dec_layers * dec_attention;
    elements += (enc_layers - enc_switch) * enc_ffn + (dec_layers - dec_switch) * dec_ffn;
    elements += enc_switch * enc_sparse + dec_switch * dec_sparse;
  }
  return Bytes(elements) * b;
}

}  // namespace switchsim::model
