#pragma once
// The adapter between the workload's CommModel (model/comm_model.hpp) and the flow-level
// network (net/): every group of a request runs its collective at the same time on one
// shared Network, so groups that share links slow each other down. Results are cached per
// request (a step asks the same collectives again and again). Not thread-safe: one per thread.

#include <map>
#include <string>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"
#include "topology/topology.hpp"

namespace switchsim::cli {

class FlowComm final : public model::CommModel {
 public:
  explicit FlowComm(const config::ClusterConfig& cluster, topology::RoutingOptions routing = {});
  Picoseconds time(const model::CommRequest& request) override;
  std::string name() const override { return "flow"; }

 private:
  topology::Topology topology_;
  std::map<std::string, Picoseconds> cache_;
};

}  // namespace switchsim::cli
