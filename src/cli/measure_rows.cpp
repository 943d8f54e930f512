#include "cli/measure_rows.hpp"

#include <stdexcept>

#include "cli/command.hpp"
#include "ref/cpu/switch_layer.hpp"

namespace switchsim::cli {

void check_layer_specs(const std::vector<ref::LayerSpec>& specs, bool any_target) {
  for (auto s : specs) {
    if (any_target) {
      s.target = "cpu";
      s.dtype = "fp32";
      s.router_dtype = "fp32";
    }
    try {
      ref::cpu::validate_spec(s);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
}

nlohmann::json measure_cpu_row(const ref::LayerSpec& spec, const ref::cpu::RunOptions& options, bool check) {
  const auto result = ref::cpu::run_layer(spec, options, MPI_COMM_WORLD);
  auto row = ref::to_row(result.measurement);
  row["expert_tokens"] = result.expert_tokens;
  row["dropped_assignments"] = result.dropped_assignments;
  row["warmup"] = options.warmup;
  if (check) row["check_max_abs_diff"] = ref::cpu::distributed_vs_local_max_diff(spec, MPI_COMM_WORLD);
  return row;
}

}  // namespace switchsim::cli
