#pragma once
// A Switch Transformer (or dense T5) model, as read from models/*.json.
// Field meanings follow the Switch Transformers paper (Fedus et al. 2021), Table 9.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/dtype.hpp"

namespace switchsim::config {

enum class FfnKind { relu, geglu };

struct ModelConfig {
  std::string name;
  std::int64_t d_model = 0;
  std::int64_t d_ff = 0;
  FfnKind ffn = FfnKind::geglu;
  std::int64_t heads = 0;
  std::int64_t d_kv = 64;
  std::int64_t encoder_layers = 0;
  std::int64_t decoder_layers = 0;
  std::int64_t vocab = 32128;
  std::int64_t seq_len_input = 512;
  std::int64_t seq_len_target = 114;
  bool tied_embeddings = false;
  // Mixture of experts; absent for a dense model.
  std::optional<std::int64_t> experts;
  std::int64_t expert_every = 2;  // every k-th FFN layer is a Switch layer (k = 1: all)
  std::int64_t top_k = 1;         // 1 = Switch routing, 2 = the MoE baseline
  double capacity_factor_train = 1.0;
  double capacity_factor_eval = 2.0;
  std::int64_t min_capacity = 4;
  DType router_dtype = DType::fp32;  // selective precision: the router runs in fp32
  DType compute_dtype = DType::bf16;
  // The dense model of (about) equal FLOPs per token that the paper compares this one to.
  std::optional<std::string> dense_baseline;
  std::string source;

  bool is_moe() const { return experts.has_value(); }
  // Switch layers in a stack of `layers` FFNs: layer i (0-based) is sparse when
  // (i + 1) % expert_every == 0, as in Mesh TensorFlow's Switch layouts.
  std::int64_t sparse_layers_in(std::int64_t layers) const { return is_moe() ? layers / expert_every : 0; }
  // FFN weight matrices per expert or dense FFN: GEGLU has wi_0, wi_1, wo; ReLU has wi, wo.
  std::int64_t ffn_matrices() const { return ffn == FfnKind::geglu ? 3 : 2; }
};

ModelConfig parse_model(const nlohmann::json& json, const std::string& file);
ModelConfig load_model(const std::filesystem::path& path);
nlohmann::json to_json(const ModelConfig& model);

}  // namespace switchsim::config
