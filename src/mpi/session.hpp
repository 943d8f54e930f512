#pragma once
// MPI initialization that library users and tests can share: MPI_Init_thread at most once per
// process, MPI_Finalize once at the end. Works both under mpirun and as an Open MPI singleton
// (a plain process is a 1-rank MPI_COMM_WORLD).

namespace switchsim::mpi {

// Initializes MPI if nobody has (thread level FUNNELED) and registers MPI_Finalize with
// atexit. Safe to call many times.
void ensure_mpi_initialized();

// MPI_COMM_WORLD rank and size (initializes MPI first).
int world_rank();
int world_size();

// For a process that is failing: when it is one rank of a running MPI world of more than one
// rank, ends the whole world with MPI_Abort(code) (mpirun then exits with `code`). Without
// this, the failing rank's MPI_Finalize at exit waits forever for peers blocked in a
// collective it will never join. Does nothing in a 1-rank world or when MPI is not running.
void abort_world_if_parallel(int code);

}  // namespace switchsim::mpi
