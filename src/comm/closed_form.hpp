#pragma once
// The closed-form collective model (model::ClosedFormComm) of a cluster: the bandwidth a device
// injects into the fabric its collectives cross and one message's latency, read off the
// topology. Used by the CLI's --network closed-form and by the benchmarks, so both mean the same.

#include <memory>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"

namespace switchsim::comm {

// NVSwitch: the GPU's link, two link latencies (up to the switch and down). Fat tree: the NIC
// (or, on one node with an intra-node fabric, that fabric's link), two NIC and two switch hops.
// Torus and ring: one link. Dragonfly: the endpoint link, two hops. Edge list: its first edge.
config::LinkSpec injection_link(const config::TopologySpec& topology);

std::unique_ptr<model::CommModel> closed_form_comm(const config::ClusterConfig& cluster);

}  // namespace switchsim::comm
