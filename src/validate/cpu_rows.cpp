#include "validate/cpu_rows.hpp"

#include <fmt/format.h>
#include <mpi.h>

#include <stdexcept>

#include "validate/errors.hpp"
#include "ref/cpu/host_info.hpp"
#include "ref/cpu/switch_layer.hpp"

namespace switchsim::validate {

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
      throw RequestError(e.what());
    }
  }
}

nlohmann::json cpu_row(const ref::cpu::CpuRunResult& result, std::int64_t warmup) {
  auto row = ref::to_row(result.measurement);
  row["expert_tokens"] = result.expert_tokens;
  row["expert_assignments"] = result.expert_assignments;
  row["dropped_assignments"] = result.dropped_assignments;
  row["warmup"] = warmup;
  return row;
}

MeasureSchedule measure_schedule(const std::vector<ref::LayerSpec>& specs) {
  double bytes = 0;
  for (const auto& s : specs) bytes += ref::cpu::layer_memory_bytes(s);
  const std::int64_t ranks = specs.empty() ? 1 : specs.front().ranks;
  const double host = ref::cpu::host_info().memory_gib * 1024.0 * 1024.0 * 1024.0;
  const double all_ranks = bytes * static_cast<double>(ranks);
  MeasureSchedule s;
  s.interleaved = specs.size() > 1 && (host <= 0 || all_ranks <= host / 4);
  if (specs.size() <= 1) {
    s.description = "one config";
  } else if (s.interleaved) {
    s.description = fmt::format("{} configs in interleaved rounds (each round one iteration of every config; "
                                "about {:.0f} MiB of layers per rank)",
                                specs.size(), bytes / (1024.0 * 1024.0));
  } else {
    s.description = fmt::format("{} configs one after another (interleaving would hold about {:.0f} MiB of layers "
                                "on {} ranks, over a quarter of the host's memory)",
                                specs.size(), all_ranks / (1024.0 * 1024.0), ranks);
  }
  return s;
}

std::vector<nlohmann::json> measure_cpu_rows(const std::vector<ref::LayerSpec>& specs,
                                             const ref::cpu::RunOptions& options, const MeasureSchedule& schedule,
                                             bool check) {
  std::vector<ref::cpu::CpuRunResult> results;
  if (schedule.interleaved) {
    ref::cpu::LayerBench bench(specs, MPI_COMM_WORLD);
    for (std::int64_t i = 0; i < options.warmup; ++i) bench.run_round(false);
    for (std::int64_t i = 0; i < options.repeats; ++i) bench.run_round(true);
    results = bench.results();
  } else {
    for (const auto& s : specs) results.push_back(ref::cpu::run_layer(s, options, MPI_COMM_WORLD));
  }
  std::vector<nlohmann::json> rows;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto row = cpu_row(results[i], options.warmup);
    if (check) row["check_max_abs_diff"] = ref::cpu::distributed_vs_local_max_diff(specs[i], MPI_COMM_WORLD);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace switchsim::validate
