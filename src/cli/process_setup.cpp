// Process set-up that must happen before any shared library starts (so before main): run from
// the executable's .preinit_array, which the dynamic loader calls before the initializers of
// the libraries switchsim links.
//
// 1. OpenBLAS starts its thread pool in its own initializer, one thread per core, each with a
//    stack and buffers: tens of MB of address space per thread before main runs. Commands that
//    do no BLAS (list, describe, simulate, sweep, collective, report, advise, --version, --help)
//    get OPENBLAS_NUM_THREADS=1 (no pool, no 128 MB buffer per thread) unless the user set it:
//    under `ulimit -v` OpenBLAS's threads otherwise retry a failing mmap forever. measure, calibrate, validate and bench keep OpenBLAS's default
//    (mpi_launch.cpp gives each MPI rank its share of the cores).
// 2. An MPI rank (OMPI_COMM_WORLD_RANK set) stops when its parent (mpirun) dies: without it, the
//    ranks of a killed command run on and write results after the user gave up on them.

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace {

bool uses_blas(const char* subcommand) {
  for (const char* name : {"measure", "calibrate", "validate", "bench"})
    if (std::strcmp(subcommand, name) == 0) return true;
  return false;
}

void setup_process(int argc, char** argv, char** /*envp*/) {
  // The first argument that is not an option is the subcommand (there are no global options
  // with values); none (--version, --help) does no BLAS either.
  const char* subcommand = "";
  for (int i = 1; i < argc && argv != nullptr && argv[i] != nullptr; ++i) {
    if (argv[i][0] != '-') {
      subcommand = argv[i];
      break;
    }
  }
  // glibc's own initializer, which runs after this one, resets the environment to the one the
  // process started with, so a setenv here alone is lost before OpenBLAS reads it: the process
  // starts itself again (before any library initialized) with the variable in its environment.
  if (!uses_blas(subcommand) && std::getenv("OPENBLAS_NUM_THREADS") == nullptr && argv != nullptr) {
    ::setenv("OPENBLAS_NUM_THREADS", "1", 1);
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run on with OpenBLAS's default
  }

  if (std::getenv("OMPI_COMM_WORLD_RANK") != nullptr) {
    const pid_t parent = ::getppid();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(143);  // the parent died before the request: as if SIGTERM came
  }
}

}  // namespace

// NOLINTNEXTLINE: the loader calls it with (argc, argv, envp).
__attribute__((section(".preinit_array"), used)) void (*const switchsim_preinit)(int, char**, char**) = setup_process;
