#include "model/remat.hpp"

#include <algorithm>

#include "model/memory.hpp"
#include "units/checked.hpp"

namespace switchsim::model {

// Every product and sum goes through size_product / size_sum, each named after the model
// fields it multiplies: a model whose d_model, seq_len or vocab is each within its limit can
// still give products past 64 bits here, and a wrapped count would be a plausible-looking wrong
// memory figure (or a negative one) instead of exit 2 naming what overflowed.
Bytes activation_bytes(const StepInputs& in, const MemoryShape& s, Remat remat) {
  const auto& m = in.model;
  const std::int64_t tp = in.layout.tp;
  const std::int64_t b = dtype_bytes(m.compute_dtype);
  const std::int64_t experts = m.experts.value_or(1);
  const std::int64_t d = m.d_model;
  const std::int64_t heads = std::max<std::int64_t>(1, m.heads / tp);
  const std::int64_t inner = size_product("attention width (heads x d_kv)", {heads, m.d_kv});
  const std::int64_t dff = std::max<std::int64_t>(1, m.d_ff / tp);
  const std::int64_t up = m.ffn_matrices() - 1;
  const std::int64_t ffn_per_row =
      size_sum("FFN activations per row (d_model + 2 x up x d_ff)",
               {d, size_product("FFN activations per row (d_model + 2 x up x d_ff)", {2, up, dff})});
  const bool keep_scores = remat == Remat::none;
  auto attention = [&](std::int64_t tokens, std::int64_t context, const char* what) {
    const std::int64_t per_token = size_sum(what, {size_product(what, {2, d}), size_product(what, {5, inner}),
                                                   keep_scores ? size_product(what, {heads, context}) : 0});
    return size_product(what, {tokens, per_token});
  };
  // Switch layers: expert rows, dispatched and combined buffers, fp32 router probabilities,
  // and the einsum's dispatch and combine masks.
  auto sparse = [&](std::int64_t tokens, std::int64_t slots, std::int64_t mask, const char* what) {
    return size_sum(what, {size_product(what, {slots, size_sum(what, {ffn_per_row, size_product(what, {2, d})})}),
                           size_product(what, {tokens, experts, 4}) / b, size_product(what, {2, mask})});
  };
  const std::int64_t enc_attention =
      attention(s.encoder_tokens, m.seq_len_input,
                "encoder attention activations (tokens x (2 d_model + 5 heads x d_kv + heads x seq_len_input))");
  const std::int64_t dec_attention = size_sum(
      "decoder attention activations",
      {attention(s.decoder_tokens, m.seq_len_target,
                 "decoder self-attention activations (tokens x (2 d_model + 5 heads x d_kv + heads x seq_len_target))"),
       attention(
           s.decoder_tokens, m.seq_len_input,
           "decoder cross-attention activations (tokens x (2 d_model + 5 heads x d_kv + heads x seq_len_input))")});
  const std::int64_t enc_ffn =
      size_product("encoder FFN activations (tokens x (d_model + 2 x up x d_ff))", {s.encoder_tokens, ffn_per_row});
  const std::int64_t dec_ffn =
      size_product("decoder FFN activations (tokens x (d_model + 2 x up x d_ff))", {s.decoder_tokens, ffn_per_row});
  const std::int64_t enc_sparse = sparse(
      s.encoder_tokens, s.expert_slots_encoder, s.mask_elements_encoder,
      "encoder Switch activations (expert rows x (d_model + 2 x up x d_ff + 2 d_model) + tokens x experts + masks)");
  const std::int64_t dec_sparse = sparse(
      s.decoder_tokens, s.expert_slots_decoder, s.mask_elements_decoder,
      "decoder Switch activations (expert rows x (d_model + 2 x up x d_ff + 2 d_model) + tokens x experts + masks)");
  const std::int64_t enc_layers = m.encoder_layers;
  const std::int64_t dec_layers = m.decoder_layers;
  const std::int64_t enc_switch = m.sparse_layers_in(enc_layers);
  const std::int64_t dec_switch = m.sparse_layers_in(dec_layers);
  // LM head logits in fp32 for the loss.
  const std::int64_t logits = size_product("LM head logits (decoder tokens x vocab)",
                                           {s.decoder_tokens, std::max<std::int64_t>(1, m.vocab / tp), 4}) /
                              b;

  const char* total = "saved activations (sum over all layers)";
  std::int64_t elements = logits;
  if (remat == Remat::full) {
    // Each layer's input, plus the largest layer's activations while it is recomputed.
    const char* inputs = "saved layer inputs (layers x tokens x d_model)";
    elements = size_sum(
        total,
        {elements, size_product(inputs, {size_sum(inputs, {size_product(inputs, {enc_layers, s.encoder_tokens}),
                                                           size_product(inputs, {dec_layers, s.decoder_tokens})}),
                                         d})});
    std::int64_t largest = 0;
    if (enc_layers > 0)
      largest = std::max(largest, size_sum(total, {enc_attention, enc_switch > 0 ? enc_sparse : enc_ffn}));
    if (enc_layers > enc_switch) largest = std::max(largest, size_sum(total, {enc_attention, enc_ffn}));
    if (dec_layers > 0)
      largest = std::max(largest, size_sum(total, {dec_attention, dec_switch > 0 ? dec_sparse : dec_ffn}));
    if (dec_layers > dec_switch) largest = std::max(largest, size_sum(total, {dec_attention, dec_ffn}));
    elements = size_sum(total, {elements, largest});
  } else {
    elements = size_sum(
        total,
        {elements,
         size_product("encoder attention activations of all encoder_layers (encoder_layers x tokens x (2 d_model + 5 "
                      "heads x d_kv + heads x seq_len_input))",
                      {enc_layers, enc_attention}),
         size_product("decoder attention activations of all decoder_layers (decoder_layers x tokens x (4 d_model + 10 "
                      "heads x d_kv + heads x (seq_len_target + seq_len_input)))",
                      {dec_layers, dec_attention}),
         size_product("encoder FFN activations of all dense encoder layers", {enc_layers - enc_switch, enc_ffn}),
         size_product("decoder FFN activations of all dense decoder layers", {dec_layers - dec_switch, dec_ffn}),
         size_product("encoder Switch activations of all Switch encoder layers", {enc_switch, enc_sparse}),
         size_product("decoder Switch activations of all Switch decoder layers", {dec_switch, dec_sparse})});
  }
  return Bytes(size_product("saved activation bytes", {elements, b}));
}

}  // namespace switchsim::model
