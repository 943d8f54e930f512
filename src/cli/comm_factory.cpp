#include "cli/comm_factory.hpp"

#include "cli/command.hpp"
#include "comm/closed_form.hpp"
#include "comm/flow_comm.hpp"

namespace switchsim::cli {

std::unique_ptr<model::CommModel> make_comm_model(const config::ClusterConfig& cluster, const std::string& kind) {
  if (kind == "closed-form") return comm::closed_form_comm(cluster);
  if (kind == "flow") return std::make_unique<comm::FlowComm>(cluster);
  throw UsageError("--network must be closed-form or flow, got '" + kind + "'");
}

}  // namespace switchsim::cli
