#include "config/model_config.hpp"

#include "config/json_file.hpp"
#include "config/limits.hpp"
#include "units/checked.hpp"
#include "config/object_reader.hpp"

namespace switchsim::config {
namespace {
DType read_dtype(ObjectReader& r, std::string_view key, DType fallback) {
  return parse_dtype(r.choice_or(key, {"fp32", "tf32", "bf16"}, std::string(dtype_name(fallback))));
}
}  // namespace

bool model_bytes_fit(const ModelConfig& m) {
  try {
    const std::int64_t d = m.d_model;
    const std::int64_t ffn = size_product("FFN parameters", {m.ffn_matrices(), d, m.d_ff});
    const std::int64_t attention = size_product("attention parameters", {8, d, m.heads, m.d_kv});
    const std::int64_t experts = m.experts.value_or(1);
    const std::int64_t per_layer =
        size_sum("layer parameters", {attention, size_product("expert parameters", {experts, ffn}), d * experts});
    const std::int64_t layers = m.encoder_layers + m.decoder_layers;
    const std::int64_t params = size_sum("parameters", {size_product("layer parameters", {layers, per_layer}),
                                                        size_product("embedding parameters", {2, m.vocab, d})});
    size_product("training state bytes", {params, 16});
    return true;
  } catch (const OverflowError&) {
    return false;
  }
}

ModelConfig parse_model(const nlohmann::json& json, const std::string& file) {
  ObjectReader r(json, file);
  ModelConfig m;
  m.name = r.string("name");
  m.d_model = r.at_most("d_model", r.positive_int("d_model"), kMaxWidth);
  m.d_ff = r.at_most("d_ff", r.positive_int("d_ff"), kMaxWidth);
  m.ffn = r.choice("ffn", {"relu", "geglu"}) == "relu" ? FfnKind::relu : FfnKind::geglu;
  m.heads = r.at_most("heads", r.positive_int("heads"), kMaxHeads);
  m.d_kv = r.at_most("d_kv", r.positive_int_or("d_kv", m.d_kv), kMaxWidth);
  m.encoder_layers = r.at_most("encoder_layers", r.positive_int("encoder_layers"), kMaxLayers);
  m.decoder_layers = r.at_most("decoder_layers", r.non_negative_int_or("decoder_layers", 0), kMaxLayers);
  m.vocab = r.at_most("vocab", r.positive_int_or("vocab", m.vocab), kMaxVocab);
  m.seq_len_input = r.at_most("seq_len_input", r.positive_int_or("seq_len_input", m.seq_len_input), kMaxSeqLen);
  m.seq_len_target = r.at_most("seq_len_target", r.positive_int_or("seq_len_target", m.seq_len_target), kMaxSeqLen);
  m.tied_embeddings = r.boolean_or("tied_embeddings", m.tied_embeddings);
  m.experts = r.optional_positive_int("experts");
  if (m.experts) r.at_most("experts", *m.experts, kMaxExperts);
  m.expert_every = r.at_most("expert_every", r.positive_int_or("expert_every", m.expert_every), kMaxLayers);
  m.top_k = r.positive_int_or("top_k", m.top_k);
  m.capacity_factor_train = r.positive_number_or("capacity_factor_train", m.capacity_factor_train);
  m.capacity_factor_eval = r.positive_number_or("capacity_factor_eval", m.capacity_factor_eval);
  m.min_capacity = r.at_most("min_capacity", r.non_negative_int_or("min_capacity", m.min_capacity), kMaxBatchTokens);
  m.router_dtype = read_dtype(r, "router_dtype", m.router_dtype);
  m.compute_dtype = read_dtype(r, "compute_dtype", m.compute_dtype);
  m.dense_baseline = r.optional_string("dense_baseline");
  m.source = r.string_or("source", "");
  if (m.experts) {
    if (*m.experts < 2) r.fail("experts", "a mixture needs at least 2 experts, got " + std::to_string(*m.experts));
    if (m.top_k > *m.experts)
      r.fail("top_k", "cannot exceed experts (" + std::to_string(*m.experts) + "), got " + std::to_string(m.top_k));
    if (m.expert_every > std::max(m.encoder_layers, m.decoder_layers))
      r.fail("expert_every", "is larger than the number of layers, so no layer would be a Switch layer");
  } else if (r.has("top_k") && m.top_k != 1) {
    r.fail("top_k", "is set but the model has no experts");
  }
  if (m.capacity_factor_train > kMaxCapacityFactor) r.fail("capacity_factor_train", "must be at most 1e6");
  if (m.capacity_factor_eval > kMaxCapacityFactor) r.fail("capacity_factor_eval", "must be at most 1e6");
  if (!model_bytes_fit(m))
    r.fail("d_ff", "with these widths, layers and experts the training state (16 bytes per parameter) exceeds "
                   "the 64-bit byte range");
  r.finish();
  return m;
}

ModelConfig load_model(const std::filesystem::path& path) { return parse_model(load_json_file(path), path.string()); }

nlohmann::json to_json(const ModelConfig& m) {
  nlohmann::json j{{"name", m.name},
                   {"d_model", m.d_model},
                   {"d_ff", m.d_ff},
                   {"ffn", m.ffn == FfnKind::relu ? "relu" : "geglu"},
                   {"heads", m.heads},
                   {"d_kv", m.d_kv},
                   {"encoder_layers", m.encoder_layers},
                   {"decoder_layers", m.decoder_layers},
                   {"vocab", m.vocab},
                   {"seq_len_input", m.seq_len_input},
                   {"seq_len_target", m.seq_len_target},
                   {"tied_embeddings", m.tied_embeddings},
                   {"router_dtype", dtype_name(m.router_dtype)},
                   {"compute_dtype", dtype_name(m.compute_dtype)}};
  if (m.experts) {
    j["experts"] = *m.experts;
    j["expert_every"] = m.expert_every;
    j["top_k"] = m.top_k;
    j["capacity_factor_train"] = m.capacity_factor_train;
    j["capacity_factor_eval"] = m.capacity_factor_eval;
    j["min_capacity"] = m.min_capacity;
  }
  if (m.dense_baseline) j["dense_baseline"] = *m.dense_baseline;
  return j;
}

}  // namespace switchsim::config
