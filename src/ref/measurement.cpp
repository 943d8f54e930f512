#include "ref/measurement.hpp"

namespace switchsim::ref {

nlohmann::json to_json(const LayerSpec& s) {
  return nlohmann::json{{"target", s.target},
                        {"ranks", s.ranks},
                        {"experts", s.experts},
                        {"capacity_factor", s.capacity_factor},
                        {"tokens_per_rank", s.tokens_per_rank},
                        {"d_model", s.d_model},
                        {"d_ff", s.d_ff},
                        {"ffn", s.ffn},
                        {"top_k", s.top_k},
                        {"padding", s.padding},
                        {"dtype", s.dtype},
                        {"router_dtype", s.router_dtype},
                        {"routing", s.routing},
                        {"seed", s.seed},
                        {"min_capacity", s.min_capacity},
                        {"backward", s.backward},
                        {"aux_loss_enabled", s.aux_loss}};
}

nlohmann::json to_row(const LayerMeasurement& m) {
  nlohmann::json row = to_json(m.spec);
  row["capacity"] = m.capacity;
  row["dropped_token_frac"] = m.dropped_token_frac;
  row["aux_loss"] = m.aux_loss;
  auto put = [&row](const std::string& name, const TimingStats& t) {
    row["measured_" + name + "_time_s"] = t.median_s;
    row["measured_" + name + "_time_s_p10"] = t.p10_s;
    row["measured_" + name + "_time_s_p90"] = t.p90_s;
  };
  for (const auto& [phase, stats] : m.phases) put(phase, stats);
  put("forward", m.forward);
  put("backward", m.backward);
  put("step", m.step);
  row["repeats"] = m.step.repeats;
  return row;
}

}  // namespace switchsim::ref
