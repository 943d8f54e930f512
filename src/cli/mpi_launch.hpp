#pragma once
// Running a subcommand on several MPI ranks: when switchsim was not started by mpirun (no
// OMPI_COMM_WORLD_SIZE in the environment) and more than one rank is asked for, re-run the
// same command line as `mpirun -np N --oversubscribe <this binary> <same args>` and return its
// exit code. Under mpirun, check that the world has the asked-for number of ranks.

#include <cstdint>
#include <optional>
#include <string>

namespace switchsim::cli {

// Returns the child's exit code if it relaunched, std::nullopt if this process should run
// the work itself. Throws UsageError when running under mpirun with a different world size.
std::optional<int> relaunch_under_mpirun(std::int64_t ranks);

// Whether this process was started by Open MPI's mpirun.
bool under_mpirun();

// Runtime git revision of the source tree (short sha), or "unknown".
std::string source_git_sha();

}  // namespace switchsim::cli
