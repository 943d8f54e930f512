#include "model/step_result.hpp"

namespace switchsim::model {

nlohmann::json to_json(const StepResult& r) {
  nlohmann::json j;
  j["step_time_s"] = r.step_time.seconds();
  j["tokens_per_s"] = r.tokens_per_s;
  j["examples_per_s"] = r.examples_per_s;
  j["mfu"] = r.mfu;
  j["dropped_token_frac"] = r.dropped_token_frac;
  j["aux_loss"] = r.aux_loss;
  j["capacity_encoder"] = r.capacity_encoder;
  j["capacity_decoder"] = r.capacity_decoder;
  j["mem_per_device_bytes"] = r.memory.total().count();
  j["hbm_bytes"] = r.memory.capacity.count();
  j["oom"] = r.memory.oom();
  j["memory"] = to_json(r.memory);
  for (std::string_view phase : kStepPhases) {
    const auto it = r.phase_time.find(std::string(phase));
    j[std::string(phase) + "_time_s"] = it == r.phase_time.end() ? 0.0 : it->second.seconds();
  }
  j["overlap_hidden_time_s"] = r.overlap_hidden_time.seconds();
  j["recompute_time_s"] = r.recompute_time.seconds();
  j["model_flops_per_step"] = r.model_flops_per_step;
  j["sequences_per_step"] = r.sequences_per_step;
  j["tasks"] = r.tasks;
  return j;
}

}  // namespace switchsim::model
