#pragma once
// The closed-form collective model, beside the flow-level one (comm/flow_comm.hpp), and the
// closed-form model of a cluster: the bandwidth a device injects into the fabric its
// collectives cross and one message's latency, read off the topology. Used by the CLI's
// --network closed-form and by the benchmarks, so both mean the same.
//
// Closed forms on a non-blocking fabric where each device injects at bandwidth B with a
// per-message latency alpha (shared/DESIGN.md, net/):
//   all-to-all direct      (n-1)/n * S/B + alpha
//   all-to-all pairwise    (n-1)/n * S/B + (n-1) * alpha
//   alltoallv              max over ranks of max(bytes sent, bytes received) to/from others / B + alpha
//   all-reduce ring        2(n-1)/n * S/B + 2(n-1) * alpha
//   all-reduce tree        2 * S/B + 2 ceil(log2 n) * alpha (pipelined binary tree)
//   other algorithms       as the ring (hierarchical needs the node size this model lacks)
//   all-gather, reduce-scatter ring   (n-1)/n * S/B + (n-1) * alpha
// Groups never contend with each other here; that is what the flow-level model adds.

#include <memory>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"

namespace switchsim::comm {

class ClosedFormComm final : public model::CommModel {
 public:
  ClosedFormComm(BytesPerSecond bandwidth, Picoseconds latency) : bandwidth_(bandwidth), latency_(latency) {}
  Picoseconds time(const model::CommRequest& request) override;
  std::string name() const override { return "closed-form"; }

 private:
  BytesPerSecond bandwidth_;
  Picoseconds latency_;
};

// NVSwitch: the GPU's link, two link latencies (up to the switch and down). Fat tree: the NIC
// (or, on one node with an intra-node fabric, that fabric's link), two NIC and two switch hops.
// Torus and ring: one link. Dragonfly: the endpoint link, two hops. Edge list: its first edge.
config::LinkSpec injection_link(const config::TopologySpec& topology);

std::unique_ptr<model::CommModel> closed_form_comm(const config::ClusterConfig& cluster);

}  // namespace switchsim::comm
