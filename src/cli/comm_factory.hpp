#pragma once
#include <memory>
#include <string>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"

namespace switchsim::cli {

// "closed-form": per-device injection bandwidth and latency of the cluster's topology in the
// closed forms of model/comm_model.hpp. "flow": the flow-level network on the cluster's
// topology (comm/flow_comm.hpp), where concurrent groups share links.
std::unique_ptr<model::CommModel> make_comm_model(const config::ClusterConfig& cluster, const std::string& kind);

}  // namespace switchsim::cli
