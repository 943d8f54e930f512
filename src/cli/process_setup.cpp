// Process set-up that must happen before any shared library starts (so before main): run from
// the executable's .preinit_array, which the dynamic loader calls before the initializers of
// the libraries switchsim links.
//
// 1. OpenBLAS starts its thread pool in its own initializer, one thread per core, each with a
//    stack and buffers: tens of MB of address space per thread before main runs. Commands that
//    do no BLAS (list, describe, simulate, sweep, collective, report, advise, --version, --help)
//    get OPENBLAS_NUM_THREADS=1 (no pool, no 128 MB buffer per thread) unless the user set it:
//    under `ulimit -v` OpenBLAS's threads otherwise retry a failing mmap forever. measure, calibrate, validate and bench keep OpenBLAS's default
//    (validate/cpu_runtime.cpp gives each MPI rank its share of the cores).
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

void setup_process(int argc, char** argv, char** envp) {
  // The first argument that is not an option is the subcommand (there are no global options
  // with values); none (--version, --help) does no BLAS either.
  const char* subcommand = "";
  for (int i = 1; i < argc && argv != nullptr && argv[i] != nullptr; ++i) {
    if (argv[i][0] != '-') {
      subcommand = argv[i];
      break;
    }
  }
  // glibc's environment (getenv, setenv) is set up only after this runs, and resets to the
  // process's initial one: look at `envp` itself, and when the variable is absent start the
  // process again (before any library initialized) with it added. The new process has it in
  // its envp, so this happens once.
  if (!uses_blas(subcommand) && argv != nullptr && envp != nullptr) {
    static const char* env[4096];
    int n = 0;
    bool present = false;
    for (; envp[n] != nullptr && n < 4094; ++n) {
      present = present || std::strncmp(envp[n], "OPENBLAS_NUM_THREADS=", 21) == 0;
      env[n] = envp[n];
    }
    if (!present && envp[n] == nullptr) {
      env[n] = "OPENBLAS_NUM_THREADS=1";
      env[n + 1] = nullptr;
      ::execve("/proc/self/exe", argv, const_cast<char* const*>(env));  // returns only on failure
    }
  }
  bool rank = false;
  for (int i = 0; envp != nullptr && envp[i] != nullptr; ++i)
    rank = rank || std::strncmp(envp[i], "OMPI_COMM_WORLD_RANK=", 21) == 0;
  if (rank) {
    const pid_t parent = ::getppid();
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(143);  // the parent died before the request: as if SIGTERM came
  }
}

}  // namespace

// NOLINTNEXTLINE: the loader calls it with (argc, argv, envp).
__attribute__((section(".preinit_array"), used)) void (*const switchsim_preinit)(int, char**, char**) = setup_process;
