#pragma once
// MPI initialization that library users and tests can share: MPI_Init_thread at most once per
// process, MPI_Finalize once at the end. Works both under mpirun and as an Open MPI singleton
// (a plain process is a 1-rank MPI_COMM_WORLD).

namespace switchsim::ref::cpu {

// Initializes MPI if nobody has (thread level FUNNELED) and registers MPI_Finalize with
// atexit. Safe to call many times.
void ensure_mpi_initialized();

// MPI_COMM_WORLD rank and size (initializes MPI first).
int world_rank();
int world_size();

}  // namespace switchsim::ref::cpu
