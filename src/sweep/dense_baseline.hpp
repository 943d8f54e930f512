#pragma once
// The dense baseline of a sparse point, shared by sweep's runner and advise's search: the
// model's dense_baseline (the dense model of equal FLOPs per token) on the same cluster with
// every other option of the point (batch, sequence length, microbatches, remat, dispatch,
// seed, ...), all data parallel but for the point's tensor-parallel degree.
//
// Many sparse points share one dense point (every expert count, capacity factor and ep of a
// batch and tp), so its step time is cached per caller, keyed by the whole dense scenario:
// every field it depends on, so two points get the same baseline only when it is the same.

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "config/catalog.hpp"
#include "model/comm_model.hpp"
#include "model/scenario.hpp"
#include "model/step_inputs.hpp"

namespace switchsim::sweep {

// The dense point of sparse point `s` (whose validated inputs are `in`); none when the model
// names no dense baseline.
std::optional<model::Scenario> dense_baseline_scenario(const model::StepInputs& in, const model::Scenario& s);

// Every field of a scenario, as text: equal texts, equal scenarios.
std::string scenario_key(const model::Scenario& s);

// Dense-baseline step times, cached; one per worker thread (not thread-safe).
class DenseBaselines {
 public:
  explicit DenseBaselines(const config::Catalog& catalog) : catalog_(catalog) {}

  // The dense point's step time, simulated with `comm` (the collective model of the sparse
  // point's cluster, which the dense point shares); none when the model names no dense
  // baseline. Throws std::invalid_argument (the same message each time) when the dense point
  // is invalid, e.g. its batch does not split where the sparse one's does.
  std::optional<double> step_time_s(const model::StepInputs& in, const model::Scenario& s, model::CommModel& comm);

 private:
  const config::Catalog& catalog_;
  std::map<std::string, std::variant<double, std::string>> cache_;  // step time, or why invalid
};

}  // namespace switchsim::sweep
