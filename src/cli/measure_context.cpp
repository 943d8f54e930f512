#include "cli/measure_context.hpp"

#include "cli/mpi_launch.hpp"
#include "ref/cpu/host_info.hpp"

namespace switchsim::cli {

nlohmann::json measure_context(std::int64_t ranks) {
  auto j = ref::cpu::to_json(ref::cpu::host_info());
  j["tool"] = "switchsim";
  j["tool_version"] = SWITCHSIM_VERSION;
  j["git_sha"] = source_git_sha();
  j["build_type"] = SWITCHSIM_BUILD_TYPE;
  j["ranks"] = ranks;
  j["note"] = "timings on a shared machine; load_average_1_5_15min tells how busy it was; not byte-identical between runs";
  return j;
}

}  // namespace switchsim::cli
