#pragma once
// What the workload asks of the network: a collective over one or more groups of devices
// that run it at the same time (e.g. every expert-parallel group's all-to-all). The model
// only needs its duration; CommModel implementations (comm/) decide how to get it
// (flow-level network simulation, or closed forms).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/event_queue.hpp"
#include "engine/task_graph.hpp"
#include "model/comm_algorithm.hpp"
#include "units/units.hpp"

namespace switchsim::model {

enum class CommOp { alltoall, alltoallv, allreduce, allgather, reducescatter };
std::string comm_op_name(CommOp op);

struct CommRequest {
  CommOp op = CommOp::alltoall;
  CommAlgorithm algorithm = CommAlgorithm::direct;
  std::vector<std::vector<std::int32_t>> groups;  // device ids, in rank order; all groups run concurrently
  Bytes bytes_per_rank;                           // sent (all-to-all) or held (all-reduce) by each rank
  // alltoallv only: bytes from rank i to rank j of a group, the same pattern in every group.
  std::vector<std::vector<Bytes>> matrix;
  // Field by field (lexicographic): requests key the comm models' caches exactly.
  friend auto operator<=>(const CommRequest&, const CommRequest&) = default;
  friend bool operator==(const CommRequest&, const CommRequest&) = default;
};

// Co-simulation (SimGrid's design): one shared network per step on the step's event queue.
// Each communication task becomes an external task that the network ends, so collectives
// that overlap in time share links. Opened per step by CommModel::open_session.
class CommSession {
 public:
  virtual ~CommSession() = default;
  // The start of an external task that runs `request` (its algorithm resolved, never "auto")
  // on the session's network from the moment the executor starts it.
  virtual engine::ExternalStart task(const CommRequest& request) = 0;
};

class CommModel {
 public:
  virtual ~CommModel() = default;
  virtual Picoseconds time(const CommRequest& request) = 0;
  virtual std::string name() const = 0;
  // Peak utilization (load / bandwidth) per link class (nvlink, nic, leaf-spine, ...) while
  // `request` runs, for traces; empty when the model does not see links.
  virtual std::map<std::string, double> link_class_peaks(const CommRequest& /*request*/) { return {}; }
  // A co-simulation session on `queue` (the step's), or none when the model times each
  // collective alone (closed forms): then the step keeps fixed-duration communication tasks.
  virtual std::unique_ptr<CommSession> open_session(engine::EventQueue& /*queue*/) { return nullptr; }
};

// The implementations live in comm/: comm::FlowComm (the flow-level network) and
// comm::ClosedFormComm (closed forms), side by side.

}  // namespace switchsim::model
