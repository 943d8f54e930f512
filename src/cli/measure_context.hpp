#pragma once
// The context block of measured results and calibrated profiles: tool version, git sha, build
// type, date, host, CPU, cores, BLAS, MPI library, ranks and load. Needs MPI initialized.

#include <cstdint>

#include <nlohmann/json.hpp>

namespace switchsim::cli {

nlohmann::json measure_context(std::int64_t ranks);

}  // namespace switchsim::cli
