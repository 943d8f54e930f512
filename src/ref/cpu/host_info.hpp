#pragma once
// What machine a measurement ran on, for the context block of measured results and
// calibrated profiles: host name, CPU model, cores, memory, BLAS and MPI builds, load.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace switchsim::ref::cpu {

struct HostInfo {
  std::string host;
  std::string cpu_model;     // /proc/cpuinfo "model name"
  std::int64_t cores = 0;    // online logical CPUs
  double memory_gib = 0;     // /proc/meminfo MemTotal
  std::string blas;          // openblas_get_config()
  std::string blas_core;     // openblas_get_corename(): the kernels sgemm runs
  std::string blas_core_source;  // who chose them (OpenBLAS itself, OPENBLAS_CORETYPE, switchsim)
  std::string mpi_library;   // MPI_Get_library_version (first line)
  std::string load_average;  // /proc/loadavg, first three fields
  std::string date_utc;      // ISO 8601, seconds
};

// Needs MPI initialized (for the library version).
HostInfo host_info();
nlohmann::json to_json(const HostInfo& info);

// A file-name-friendly host name: letters, digits and '-' only.
std::string sanitized_host_name(const std::string& host);

}  // namespace switchsim::ref::cpu
