#pragma once
// Shared by `measure` and (later) `validate`: check layer specs as command-line input, and
// measure one spec into a result row. Both run on every MPI rank (collective).

#include <vector>

#include <nlohmann/json.hpp>

#include "ref/cpu/layer_runner.hpp"
#include "ref/measurement.hpp"

namespace switchsim::cli {

// Throws UsageError (exit 2, one line) for the first spec ref::cpu::validate_spec rejects.
// With `any_target` the shape checks apply to a cuda spec as well (target and dtype are then
// not checked: the caller sets them).
void check_layer_specs(const std::vector<ref::LayerSpec>& specs, bool any_target = false);

// ref::to_row of the CPU measurement plus expert_tokens, dropped_assignments, warmup and,
// with `check`, check_max_abs_diff (distributed vs 1-rank layer). MPI must be initialized
// with spec.ranks ranks in MPI_COMM_WORLD.
nlohmann::json measure_cpu_row(const ref::LayerSpec& spec, const ref::cpu::RunOptions& options, bool check);

}  // namespace switchsim::cli
