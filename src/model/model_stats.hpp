#pragma once
// Parameter counts and forward FLOPs of a T5 v1.1 / Switch Transformer from its shapes.
// Conventions (T5 v1.1, as the Switch Transformers paper uses): no biases, RMSNorm scales
// (d_model each: 2 per encoder layer, 3 per decoder layer, 1 final per stack), relative
// position bias (32 buckets x heads, once per stack), untied input embedding and LM head
// unless tied_embeddings. A GEMM of an [m, k] by [k, n] matrix is 2mnk FLOPs.

#include <cstdint>

#include <nlohmann/json.hpp>

#include "config/model_config.hpp"

namespace switchsim::model {

struct ModelStats {
  std::int64_t params_total = 0;
  std::int64_t params_expert = 0;            // all experts' FFN weights
  std::int64_t params_active_per_token = 0;  // what one token touches: non-expert + top_k experts per layer
  std::int64_t params_embedding = 0;         // input embedding + LM head
  std::int64_t switch_layers_encoder = 0;
  std::int64_t switch_layers_decoder = 0;
  double flops_per_encoder_token_forward = 0;
  double flops_per_decoder_token_forward = 0;
  double flops_per_sequence_forward = 0;  // seq_len_input encoder tokens + seq_len_target decoder tokens
  double flops_per_token_forward = 0;     // per sequence / (seq_len_input + seq_len_target)
};

inline constexpr std::int64_t kRelativePositionBuckets = 32;

ModelStats compute_stats(const config::ModelConfig& model);
nlohmann::json to_json(const ModelStats& stats);

}  // namespace switchsim::model
