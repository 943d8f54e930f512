#pragma once
// Shared by `measure` and `validate`: check layer specs as input, and measure a grid of specs
// with the CPU reference into result rows. The measuring functions run on every MPI rank
// (collective over MPI_COMM_WORLD).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/cpu/layer_runner.hpp"
#include "ref/measurement.hpp"

namespace switchsim::validate {

// Throws RequestError (one line) for the first spec ref::cpu::validate_spec rejects.
// With `any_target` the shape checks apply to a cuda spec as well (target and dtype are then
// not checked: the caller sets them).
void check_layer_specs(const std::vector<ref::LayerSpec>& specs, bool any_target = false);

// ref::to_row of the CPU measurement plus expert_tokens, expert_assignments, dropped_assignments
// and warmup.
nlohmann::json cpu_row(const ref::cpu::CpuRunResult& result, std::int64_t warmup);

// How a grid is measured: every layer alive at once in interleaved rounds (each round one
// iteration of every layer; on a machine whose speed drifts, every layer then sees the same mix
// of its states), unless the layers together would hold more than a quarter of the host's
// memory; then one layer after another.
struct MeasureSchedule {
  bool interleaved = true;
  std::string description;  // for the context block
};
MeasureSchedule measure_schedule(const std::vector<ref::LayerSpec>& specs);

// Measures the grid on MPI_COMM_WORLD (spec.ranks ranks) with `schedule`; with `check` each row
// adds check_max_abs_diff (distributed vs 1-rank layer).
std::vector<nlohmann::json> measure_cpu_rows(const std::vector<ref::LayerSpec>& specs,
                                             const ref::cpu::RunOptions& options, const MeasureSchedule& schedule,
                                             bool check);

}  // namespace switchsim::validate
