#include "model/step_plan.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>

#include "model/dispatch_cost.hpp"
#include "model/model_stats.hpp"
#include "units/checked.hpp"

namespace switchsim::model {
namespace {

constexpr std::int64_t kMaxSampledGroups = 256;

SwitchPlan plan_stack(const StepInputs& in, std::int64_t tokens, std::mt19937_64& rng, SampledCountsCache* sampled_counts) {
  const auto& m = in.model;
  SwitchPlanInputs p;
  p.shape = moe::SwitchLayerShape{
      .tokens = tokens, .experts = *m.experts, .top_k = m.top_k, .d_model = m.d_model, .d_ff = m.d_ff};
  p.capacity_factor = in.capacity_factor;
  p.min_capacity = m.min_capacity;
  p.padding = in.padding;
  p.ep = in.layout.ep;
  // Expert-parallel group 0's members (needed whole for dropless), then more groups for statistics.
  p.groups = std::max<std::int64_t>(in.padding == Padding::dropless ? in.layout.ep : 1,
                                    std::min<std::int64_t>(in.layout.dp, kMaxSampledGroups));
  p.bytes_per_element = dtype_bytes(m.compute_dtype);
  p.routing = &in.routing;
  p.step = in.step;
  if (in.dispatch == Dispatch::einsum) p.capacity = device_capacity(in, tokens);
  p.cache = sampled_counts;
  return plan_switch_layer(p, rng);
}

// Step 0 draws from the seed alone (as a single-step run always has); later steps from the
// seed and the step index.
std::mt19937_64 step_rng(const StepInputs& in) {
  if (in.step == 0) return std::mt19937_64(in.seed);
  std::seed_seq seq{static_cast<std::uint32_t>(in.seed), static_cast<std::uint32_t>(in.seed >> 32),
                    static_cast<std::uint32_t>(in.step), static_cast<std::uint32_t>(in.step >> 32)};
  return std::mt19937_64(seq);
}

}  // namespace

StepPlan plan_step(const StepInputs& in, SampledCountsCache* sampled_counts) {
  const auto& m = in.model;
  if (m.is_moe()) parse_layout(in.layout.text(), in.cluster.devices, *m.experts);  // re-validate
  if (in.layout.devices() != in.cluster.devices)
    throw std::invalid_argument("layout " + in.layout.text() + " does not cover the cluster's " +
                                std::to_string(in.cluster.devices) + " devices");
  if (in.microbatches <= 0) throw std::invalid_argument("microbatches must be positive");
  if (in.step < 0) throw std::invalid_argument("step must be >= 0");
  StepPlan plan;
  plan.shape = token_shape(in);

  std::mt19937_64 rng = step_rng(in);
  if (m.is_moe()) {
    plan.encoder = plan_stack(in, plan.shape.encoder_tokens, rng, sampled_counts);
    if (m.decoder_layers > 0) plan.decoder = plan_stack(in, plan.shape.decoder_tokens, rng, sampled_counts);
  }

  // Per-layer plans, encoder then decoder, and their parameter counts for gradient buckets.
  const std::int64_t d = m.d_model;
  const std::int64_t inner = size_product("attention width", {m.heads, m.d_kv});
  const std::int64_t attention_params = size_product("attention parameters", {4, d, inner});
  const std::int64_t ffn_params = size_product("FFN parameters", {m.ffn_matrices(), d, m.d_ff});
  for (std::int64_t i = 0; i < m.encoder_layers + m.decoder_layers; ++i) {
    LayerPlan p;
    p.decoder = i >= m.encoder_layers;
    const std::int64_t index = p.decoder ? i - m.encoder_layers : i;
    p.sparse = m.is_moe() && (index + 1) % m.expert_every == 0;
    p.name = (p.decoder ? "dec" : "enc") + std::to_string(index);
    p.dense_params = size_sum("layer parameters", {size_product("attention parameters", {p.decoder ? 2 : 1, attention_params}),
                                                   p.sparse ? size_product("router parameters", {d, *m.experts}) : ffn_params});
    p.expert_params = p.sparse ? ffn_params : 0;
    plan.layers.push_back(std::move(p));
  }
  return plan;
}

MemoryShape memory_shape(const StepInputs& in, const StepPlan& plan) {
  const ModelStats stats = compute_stats(in.model);
  MemoryShape shape;
  shape.params_expert = stats.params_expert;
  shape.params_dense = stats.params_total - stats.params_expert;
  shape.encoder_tokens = plan.shape.encoder_tokens;
  shape.decoder_tokens = plan.shape.decoder_tokens;
  shape.sequences = plan.shape.sequences;
  if (plan.encoder) shape.expert_slots_encoder = plan.encoder->received_rows;
  if (plan.decoder) shape.expert_slots_decoder = plan.decoder->received_rows;
  std::int64_t a2a_bytes = 0;
  for (const auto* load : {plan.encoder ? &*plan.encoder : nullptr, plan.decoder ? &*plan.decoder : nullptr}) {
    if (!load) continue;
    std::int64_t sent = load->alltoall_bytes_per_rank.count();
    for (const auto& row : load->matrix)
      sent = std::max(sent, std::accumulate(row.begin(), row.end(), Bytes(0)).count());
    a2a_bytes = std::max(a2a_bytes, sent);
  }
  shape.alltoall_bytes = a2a_bytes;
  if (in.dispatch == Dispatch::einsum) {
    if (plan.encoder)
      shape.mask_elements_encoder = einsum_shape(plan.shape.encoder_tokens, in.group_size, in.model, in.capacity_factor).mask_elements();
    if (plan.decoder)
      shape.mask_elements_decoder = einsum_shape(plan.shape.decoder_tokens, in.group_size, in.model, in.capacity_factor).mask_elements();
  }
  return shape;
}

}  // namespace switchsim::model
