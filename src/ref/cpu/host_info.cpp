#include "ref/cpu/host_info.hpp"

#include "ref/cpu/blas_core.hpp"

#include <cblas.h>
#include <mpi.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

namespace switchsim::ref::cpu {

namespace {
std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Value of the first "key : value" line of a /proc file whose key is `key`.
std::string proc_field(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon != std::string::npos && trim(line.substr(0, colon)) == key) return trim(line.substr(colon + 1));
  }
  return "unknown";
}
}  // namespace

HostInfo host_info() {
  HostInfo h;
  char name[256] = {};
  h.host = gethostname(name, sizeof name - 1) == 0 ? name : "unknown";
  h.cpu_model = proc_field("/proc/cpuinfo", "model name");
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  h.cores = online > 0 ? online : static_cast<std::int64_t>(std::thread::hardware_concurrency());
  const std::string mem = proc_field("/proc/meminfo", "MemTotal");  // "131072 kB"
  h.memory_gib = mem == "unknown" ? 0.0 : std::stod(mem) / (1024.0 * 1024.0);
  h.blas = trim(openblas_get_config());
  const auto core = blas_core();
  h.blas_core = core.running;
  if (const char* detected = std::getenv(kBlasCoreDetectedVariable); detected != nullptr && !core.requested.empty()) {
    h.blas_core_source = "OPENBLAS_CORETYPE=" + core.requested + " set by switchsim: OpenBLAS chose " + detected +
                         " on its own, generic kernels for this CPU";
  } else if (!core.requested.empty()) {
    h.blas_core_source = "OPENBLAS_CORETYPE=" + core.requested + " from the environment";
  } else if (!core.suggested.empty()) {
    h.blas_core_source = "OpenBLAS's own choice, generic kernels: OPENBLAS_CORETYPE=" + core.suggested + " would be faster";
  } else {
    h.blas_core_source = "OpenBLAS's own choice for this CPU";
  }
  char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int len = 0;
  MPI_Get_library_version(version, &len);
  (void)len;
  const std::string v(version);  // stops at the terminating NUL that len may include
  h.mpi_library = trim(v.substr(0, v.find('\n')));
  {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    in >> a >> b >> c;
    h.load_average = in ? a + " " + b + " " + c : "unknown";
  }
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  h.date_utc = buf;
  return h;
}

nlohmann::json to_json(const HostInfo& h) {
  return nlohmann::json{{"host", h.host},         {"cpu_model", h.cpu_model},
                        {"cores", h.cores},       {"memory_GiB", h.memory_gib},
                        {"blas", h.blas},         {"blas_core", h.blas_core},
                        {"blas_core_source", h.blas_core_source},   {"mpi_library", h.mpi_library},
                        {"load_average_1_5_15min", h.load_average}, {"date_utc", h.date_utc}};
}

std::string sanitized_host_name(const std::string& host) {
  std::string out;
  for (char c : host) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  return out.empty() ? "unknown" : out;
}

}  // namespace switchsim::ref::cpu
