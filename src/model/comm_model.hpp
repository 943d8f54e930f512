#pragma once
// What the workload asks of the network: a collective over one or more groups of devices
// that run it at the same time (e.g. every expert-parallel group's all-to-all). The model
// only needs its duration; CommModel implementations decide how to get it (flow-level
// network simulation, or closed forms).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "units/units.hpp"

namespace switchsim::model {

enum class CommOp { alltoall, alltoallv, allreduce, allgather, reducescatter };
std::string comm_op_name(CommOp op);

struct CommRequest {
  CommOp op = CommOp::alltoall;
  std::string algorithm = "direct";  // direct, pairwise, hierarchical, ring, tree
  std::vector<std::vector<std::int32_t>> groups;  // device ids, in rank order; all groups run concurrently
  Bytes bytes_per_rank;                           // sent (all-to-all) or held (all-reduce) by each rank
  // alltoallv only: bytes from rank i to rank j of a group, the same pattern in every group.
  std::vector<std::vector<Bytes>> matrix;
};

class CommModel {
 public:
  virtual ~CommModel() = default;
  virtual Picoseconds time(const CommRequest& request) = 0;
  virtual std::string name() const = 0;
  // Peak utilization (load / bandwidth) per link class (nvlink, nic, leaf-spine, ...) while
  // `request` runs, for traces; empty when the model does not see links.
  virtual std::map<std::string, double> link_class_peaks(const CommRequest& /*request*/) { return {}; }
};

// Closed forms on a non-blocking fabric where each device injects at `bandwidth` with a per
// message latency `latency` (shared/DESIGN.md, net/):
//   all-to-all direct      (n-1)/n * S/B + alpha
//   all-to-all pairwise    (n-1)/n * S/B + (n-1) * alpha
//   alltoallv              max over ranks of max(bytes sent, bytes received) to/from others / B + alpha
//   all-reduce ring        2(n-1)/n * S/B + 2(n-1) * alpha
//   all-reduce tree        2 * S/B + 2 ceil(log2 n) * alpha (pipelined binary tree)
//   other algorithms       as the ring (hierarchical needs the node size this model lacks)
//   all-gather, reduce-scatter ring   (n-1)/n * S/B + (n-1) * alpha
// Groups never contend with each other here; that is what the flow-level model adds.
class ClosedFormComm final : public CommModel {
 public:
  ClosedFormComm(BytesPerSecond bandwidth, Picoseconds latency) : bandwidth_(bandwidth), latency_(latency) {}
  Picoseconds time(const CommRequest& request) override;
  std::string name() const override { return "closed-form"; }

 private:
  BytesPerSecond bandwidth_;
  Picoseconds latency_;
};

}  // namespace switchsim::model
