#include "validate/cpu_runtime.hpp"

#include <cblas.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "ref/cpu/blas_core.hpp"
#include "ref/cpu/host_info.hpp"

namespace switchsim::validate {

std::int64_t rank_blas_threads(std::int64_t ranks) {
  const auto cores = static_cast<std::int64_t>(std::max(1U, std::thread::hardware_concurrency()));
  return std::max<std::int64_t>(1, cores / std::max<std::int64_t>(1, ranks));
}

std::int64_t set_rank_blas_threads(std::int64_t ranks) {
  const auto threads = rank_blas_threads(ranks);
  openblas_set_num_threads(static_cast<int>(threads));
  return threads;
}

mpi::LaunchEnvironment cpu_launch_environment(std::int64_t ranks) {
  mpi::LaunchEnvironment env;
  const auto core = ref::cpu::blas_core();
  if (core.requested.empty() && !core.suggested.empty()) {
    env.set.push_back({"OPENBLAS_CORETYPE", core.suggested});
    env.set.push_back({ref::cpu::kBlasCoreDetectedVariable, core.running});
  }
  // One BLAS thread per core share, so ranks do not fight over the cores.
  env.defaults.push_back({"OPENBLAS_NUM_THREADS", std::to_string(rank_blas_threads(ranks))});
  return env;
}

std::optional<int> relaunch_cpu_ranks(std::int64_t ranks) {
  if (mpi::under_mpirun()) {
    auto code = mpi::relaunch_under_mpirun(ranks);  // checks the world size
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    const auto core = ref::cpu::blas_core();
    if (rank != nullptr && std::string(rank) == "0" && core.requested.empty() && !core.suggested.empty())
      std::fprintf(stderr,
                   "warning: OpenBLAS runs its generic %s kernels on this CPU; export OPENBLAS_CORETYPE=%s for its "
                   "own (several times faster sgemm; switchsim sets it when it starts mpirun itself)\n",
                   core.running.c_str(), core.suggested.c_str());
    return code;
  }
  return mpi::relaunch_under_mpirun(ranks, cpu_launch_environment(ranks));
}

nlohmann::json measure_context(std::int64_t ranks, const ToolInfo& tool) {
  auto j = ref::cpu::to_json(ref::cpu::host_info());
  j["tool"] = "switchsim";
  j["tool_version"] = tool.version;
  j["git_sha"] = tool.git_sha;
  j["build_type"] = tool.build_type;
  j["ranks"] = ranks;
  j["note"] = "timings on a shared machine; load_average_1_5_15min tells how busy it was; not byte-identical between runs";
  return j;
}

}  // namespace switchsim::validate
