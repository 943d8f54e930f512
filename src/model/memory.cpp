#include "model/memory.hpp"

#include <optional>

#include "model/remat.hpp"

namespace switchsim::model {

namespace {

MemoryBreakdown breakdown(const StepInputs& in, const MemoryShape& s) {
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

  r.activations = activation_bytes(in, s, in.remat);
  r.alltoall_buffers = Bytes(s.alltoall_bytes) * 2;
  return r;
}

// The per-microbatch shape with the microbatch cut `factor` times smaller (whole sequences).
std::optional<MemoryShape> split(const MemoryShape& s, std::int64_t factor) {
  if (s.sequences % factor != 0) return std::nullopt;
  MemoryShape out = s;
  for (std::int64_t* v : {&out.encoder_tokens, &out.decoder_tokens, &out.sequences, &out.expert_slots_encoder,
                          &out.expert_slots_decoder, &out.alltoall_bytes, &out.mask_elements_encoder,
                          &out.mask_elements_decoder})
    *v = (*v + factor - 1) / factor;
  return out;
}

std::string fit_hint(const StepInputs& in, const MemoryShape& s) {
  std::vector<Remat> policies;
  for (Remat r : {Remat::none, Remat::attention, Remat::full})
    if (r >= in.remat) policies.push_back(r);
  for (std::int64_t factor = 1; factor <= 64; factor *= 2) {
    const auto shape = split(s, factor);
    if (!shape) break;
    for (Remat r : policies) {
      if (factor == 1 && r == in.remat) continue;
      StepInputs trial = in;
      trial.remat = r;
      trial.microbatches = in.microbatches * factor;
      if (breakdown(trial, *shape).oom()) continue;
      std::string hint;
      if (factor > 1) hint = "--microbatches " + std::to_string(trial.microbatches);
      if (r != in.remat) hint += std::string(hint.empty() ? "" : " ") + "--remat " + std::string(remat_name(r));
      return "fits with " + hint;
    }
  }
  return "does not fit with any remat policy nor up to 64x the microbatches (weights, gradients and optimizer "
         "states alone take " + std::to_string((breakdown(in, s).total() - breakdown(in, s).activations).count()) +
         " bytes)";
}

}  // namespace

MemoryBreakdown memory_per_device(const StepInputs& in, const MemoryShape& s) {
  MemoryBreakdown r = breakdown(in, s);
  if (r.oom()) r.fit_hint = fit_hint(in, s);
  return r;
}

nlohmann::json to_json(const MemoryBreakdown& m) {
  auto j = nlohmann::json{{"weights_bytes", m.weights.count()},
                        {"gradients_bytes", m.gradients.count()},
                        {"optimizer_states_bytes", m.optimizer_states.count()},
                        {"activations_bytes", m.activations.count()},
                        {"alltoall_buffers_bytes", m.alltoall_buffers.count()},
                        {"total_bytes", m.total().count()},
                        {"hbm_bytes", m.capacity.count()},
                        {"params_local", m.params_local}};
  if (!m.fit_hint.empty()) j["fit_hint"] = m.fit_hint;
  return j;
}

}  // namespace switchsim::model
