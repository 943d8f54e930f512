#include "sweep/dense_baseline.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "model/simulate.hpp"

namespace switchsim::sweep {
namespace {

template <class T>
std::string optional_text(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string("-");
}

}  // namespace

std::optional<model::Scenario> dense_baseline_scenario(const model::StepInputs& in, const model::Scenario& s) {
  if (!in.model.dense_baseline) return std::nullopt;
  model::Scenario dense = s;
  dense.model = *in.model.dense_baseline;
  dense.experts.reset();
  dense.top_k.reset();
  dense.capacity_factor.reset();
  dense.routing = "uniform";
  dense.padding = "capacity";
  dense.layout = "tp=" + std::to_string(in.layout.tp);
  return dense;
}

std::string scenario_key(const model::Scenario& s) {
  // '\x1f' (unit separator) cannot occur in a name or path a user types.
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}"
                     "\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
                     s.model, s.cluster, optional_text(s.experts), optional_text(s.capacity_factor),
                     optional_text(s.top_k), s.batch_tokens, optional_text(s.seq_len), s.layout, s.routing, s.seed,
                     optional_text(s.router_dtype), optional_text(s.compute_dtype), s.padding, s.optimizer,
                     s.microbatches, s.overlap, s.alltoall_algorithm, s.allreduce_algorithm, optional_text(s.dispatch),
                     optional_text(s.group_size), s.remat, optional_text(s.matmul_precision));
}

std::optional<double> DenseBaselines::step_time_s(const model::StepInputs& in, const model::Scenario& s,
                                                  model::CommModel& comm) {
  const auto dense = dense_baseline_scenario(in, s);
  if (!dense) return std::nullopt;
  const std::string key = scenario_key(*dense);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    std::variant<double, std::string> outcome;
    try {
      outcome = model::simulate_step(model::make_inputs(*dense, catalog_), comm).step_time.seconds();
    } catch (const std::invalid_argument& e) {
      outcome = std::string(e.what());
    }
    it = cache_.emplace(key, std::move(outcome)).first;
  }
  if (const auto* why = std::get_if<std::string>(&it->second)) throw std::invalid_argument(*why);
  return std::get<double>(it->second);
}

}  // namespace switchsim::sweep
