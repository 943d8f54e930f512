#include "advise/memory_bound.hpp"

#include <algorithm>

#include "model/dispatch_cost.hpp"
#include "model/model_stats.hpp"

namespace switchsim::advise {

MemoryEstimate memory_before_simulating(const model::StepInputs& in) {
  const auto& m = in.model;
  const auto shape = model::token_shape(in);
  const auto stats = model::compute_stats(m);
  model::MemoryShape s;
  s.params_expert = stats.params_expert;
  s.params_dense = stats.params_total - stats.params_expert;
  s.encoder_tokens = shape.encoder_tokens;
  s.decoder_tokens = shape.decoder_tokens;
  s.sequences = shape.sequences;
  MemoryEstimate out;
  if (m.is_moe()) {
    const std::int64_t experts = *m.experts;
    const std::int64_t row_bytes = m.d_model * dtype_bytes(m.compute_dtype);
    const bool dropless = in.padding == model::Padding::dropless;
    out.exact = !dropless;
    auto rows = [&](std::int64_t tokens) {
      if (dropless) return tokens * m.top_k;  // the mean member's rows: a lower bound on the most loaded
      return experts * model::device_capacity(in, tokens);
    };
    auto sent_bytes = [&](std::int64_t tokens) {
      // Capacity: every expert's C slots are sent, full or not; dropless: each of T x k rows once.
      return (dropless ? tokens * m.top_k : rows(tokens)) * row_bytes;
    };
    s.expert_slots_encoder = rows(shape.encoder_tokens);
    std::int64_t a2a = sent_bytes(shape.encoder_tokens);
    if (m.decoder_layers > 0) {
      s.expert_slots_decoder = rows(shape.decoder_tokens);
      a2a = std::max(a2a, sent_bytes(shape.decoder_tokens));
    }
    s.alltoall_bytes = a2a;
    if (in.dispatch == model::Dispatch::einsum) {
      s.mask_elements_encoder = model::einsum_shape(shape.encoder_tokens, in.group_size, m, in.capacity_factor).mask_elements();
      if (m.decoder_layers > 0)
        s.mask_elements_decoder =
            model::einsum_shape(shape.decoder_tokens, in.group_size, m, in.capacity_factor).mask_elements();
    }
  }
  out.memory = model::memory_per_device(in, s);
  return out;
}

}  // namespace switchsim::advise
