#include "model/model_stats.hpp"

#include "units/checked.hpp"

namespace switchsim::model {

ModelStats compute_stats(const config::ModelConfig& m) {
  ModelStats s;
  const std::int64_t d = m.d_model;
  const std::int64_t inner = size_product("attention width", {m.heads, m.d_kv});
  const std::int64_t attention = size_product("attention parameters", {4, d, inner});  // q, k, v, o projections
  const std::int64_t ffn = size_product("FFN parameters", {m.ffn_matrices(), d, m.d_ff});
  const std::int64_t experts = m.experts.value_or(1);
  const std::int64_t switch_ffn = size_sum("Switch layer parameters",
                                           {size_product("expert parameters", {experts, ffn}),
                                            size_product("router parameters", {d, experts})});  // experts + router
  const std::int64_t relative_bias = size_product("relative position biases", {kRelativePositionBuckets, m.heads});

  s.switch_layers_encoder = m.sparse_layers_in(m.encoder_layers);
  s.switch_layers_decoder = m.sparse_layers_in(m.decoder_layers);
  const std::int64_t switch_layers = s.switch_layers_encoder + s.switch_layers_decoder;
  const std::int64_t dense_ffn_layers = m.encoder_layers + m.decoder_layers - switch_layers;

  const std::int64_t encoder = size_sum(
      "encoder parameters",
      {size_product("encoder parameters", {m.encoder_layers, size_sum("encoder layer parameters", {attention, 2 * d})}), d, relative_bias});
  const std::int64_t decoder =
      m.decoder_layers > 0
          ? size_sum("decoder parameters",
                     {size_product("decoder parameters",
                                   {m.decoder_layers, size_sum("decoder layer parameters", {attention, attention, 3 * d})}),
                      d, relative_bias})
          : 0;
  s.params_embedding =
      size_product("embedding parameters", {m.vocab, d, (m.tied_embeddings || m.decoder_layers == 0) ? 1 : 2});
  s.params_expert = m.is_moe() ? size_product("expert parameters", {switch_layers, experts, ffn}) : 0;
  s.params_total = size_sum("parameters", {encoder, decoder, s.params_embedding,
                                           size_product("dense FFN parameters", {dense_ffn_layers, ffn}),
                                           size_product("Switch parameters", {switch_layers, switch_ffn})});
  s.params_active_per_token =
      s.params_total - s.params_expert +
      (m.is_moe() ? size_product("active expert parameters", {switch_layers, m.top_k, ffn}) : 0);

  // Forward FLOPs per token: 2 per weight touched, plus attention scores (QK^T and AV:
  // 2 * 2 * context * heads * d_kv per token per attention block).
  const double active_switch_ffn =
      m.is_moe() ? static_cast<double>(m.top_k) * static_cast<double>(ffn) + static_cast<double>(d * experts) : 0.0;
  auto stack_flops = [&](std::int64_t layers, std::int64_t sparse, double attention_weights, double scores) {
    const double dense = static_cast<double>(layers - sparse) * static_cast<double>(ffn);
    const double sparse_part = static_cast<double>(sparse) * active_switch_ffn;
    return 2.0 * (static_cast<double>(layers) * attention_weights + dense + sparse_part) +
           static_cast<double>(layers) * scores;
  };
  const double in = static_cast<double>(m.seq_len_input);
  const double tgt = static_cast<double>(m.seq_len_target);
  s.flops_per_encoder_token_forward =
      stack_flops(m.encoder_layers, s.switch_layers_encoder, attention, 4.0 * in * static_cast<double>(inner));
  if (m.decoder_layers > 0) {
    s.flops_per_decoder_token_forward =
        stack_flops(m.decoder_layers, s.switch_layers_decoder, 2.0 * attention,
                    4.0 * (tgt + in) * static_cast<double>(inner)) +
        2.0 * static_cast<double>(d) * static_cast<double>(m.vocab);  // LM head
    s.flops_per_sequence_forward = in * s.flops_per_encoder_token_forward + tgt * s.flops_per_decoder_token_forward;
    s.flops_per_token_forward = s.flops_per_sequence_forward / (in + tgt);
  } else {
    s.flops_per_sequence_forward = in * s.flops_per_encoder_token_forward;
    s.flops_per_token_forward = s.flops_per_encoder_token_forward;
  }
  return s;
}

nlohmann::json to_json(const ModelStats& s) {
  return nlohmann::json{{"params_total", s.params_total},
                        {"params_expert", s.params_expert},
                        {"params_active_per_token", s.params_active_per_token},
                        {"params_embedding", s.params_embedding},
                        {"switch_layers_encoder", s.switch_layers_encoder},
                        {"switch_layers_decoder", s.switch_layers_decoder},
                        {"flops_per_encoder_token_forward", s.flops_per_encoder_token_forward},
                        {"flops_per_decoder_token_forward", s.flops_per_decoder_token_forward},
                        {"flops_per_sequence_forward", s.flops_per_sequence_forward},
                        {"flops_per_token_forward", s.flops_per_token_forward}};
}

}  // namespace switchsim::model
