#pragma once
// Running a command on several MPI ranks: when this process was not started by mpirun (no
// OMPI_COMM_WORLD_SIZE in the environment) and more than one rank is asked for, re-run the
// same command line as `mpirun -np N --oversubscribe <this binary> <same args>` and return its
// exit code. Under mpirun, check that the world has the asked-for number of ranks.
// What the ranks need in their environment (e.g. a BLAS's thread count) is the caller's
// business: it passes the variables, this file knows nothing of BLAS.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchsim::mpi {

// mpirun started another number of ranks than asked for (bad input: exit 2 at the CLI).
class WorldSizeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EnvVar {
  std::string name;
  std::string value;
};

struct LaunchEnvironment {
  // Set in this process (overwriting) before the ranks start, so every rank inherits them. For
  // one rank, a non-empty list makes the process start itself again with them set (variables a
  // library reads when it loads only take effect in a new process).
  std::vector<EnvVar> set;
  // Set in mpirun's environment only when not already set (the user's choice wins).
  std::vector<EnvVar> defaults;
};

// Whether this process was started by Open MPI's mpirun.
bool under_mpirun();

// Returns the child's exit code if it relaunched, std::nullopt if this process should run
// the work itself. Throws WorldSizeError when running under mpirun with a different world size.
// A rank killed by a signal becomes one line on stderr ("error: MPI rank 1 died from signal 9
// (Killed)") and exit 3; mpirun's banners are dropped.
std::optional<int> relaunch_under_mpirun(std::int64_t ranks, const LaunchEnvironment& environment = {});

}  // namespace switchsim::mpi
