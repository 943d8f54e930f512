#pragma once
// How the CPU reference runs on this host: every rank computes at once with cores / ranks
// OpenBLAS threads (so a device file describes one rank's share of the host, as `measure` runs
// the layer), the environment its MPI ranks start with, and the context block of its results.

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "mpi/launch.hpp"
#include "validate/tool_info.hpp"

namespace switchsim::validate {

// BLAS threads of one rank's share of the host: cores / ranks, at least 1.
std::int64_t rank_blas_threads(std::int64_t ranks);
// Sets OpenBLAS to that many threads in this process; returns it.
std::int64_t set_rank_blas_threads(std::int64_t ranks);

// What the ranks need: OPENBLAS_NUM_THREADS = cores / ranks unless set, and, when OpenBLAS fell
// back to generic kernels on a CPU it did not recognize and the user chose no core,
// OPENBLAS_CORETYPE = the CPU's own (read when the library loads, so only new processes see it).
mpi::LaunchEnvironment cpu_launch_environment(std::int64_t ranks);

// mpi::relaunch_under_mpirun with that environment; under mpirun, rank 0 warns on stderr when
// OpenBLAS runs generic kernels the user could replace.
std::optional<int> relaunch_cpu_ranks(std::int64_t ranks);

// The context block of measured results and calibrated profiles: tool version, git sha, build
// type, date, host, CPU, cores, BLAS, MPI library, ranks and load. Needs MPI initialized.
nlohmann::json measure_context(std::int64_t ranks, const ToolInfo& tool);

}  // namespace switchsim::validate
