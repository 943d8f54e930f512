#pragma once
// Co-simulation: communication tasks of an engine::TaskGraph as external tasks that one
// shared Network ends (SimGrid's design: activities end when the resource model says so).
//
// A SharedNetwork owns a Network on the executor's EventQueue. collective_task(specs)
// returns an engine::ExternalStart: when the executor starts the task, every collective in
// `specs` (e.g. every expert-parallel group's all-to-all) starts its rounds on the shared
// network at queue.now() (net/collective.hpp's run_collective), and the task is reported
// done when the last of them has delivered its last flow. Collectives of tasks that
// overlap in time (a gradient all-reduce during the backward pass, the all-to-alls of two
// microbatches) share links max-min fairly; a task that runs alone takes what
// collective_time / concurrent_collectives_time gives (every round simulated; the
// repeated-round shortcut of net/concurrent.hpp needs an idle network for the whole run,
// which a shared network cannot promise).
//
// The engine stays free of networks: it only calls the ExternalStart and its `done`.

#include <cstdint>
#include <vector>

#include "engine/event_queue.hpp"
#include "engine/task_graph.hpp"
#include "net/collective.hpp"
#include "net/network.hpp"
#include "topology/topology.hpp"

namespace switchsim::net {

class SharedNetwork {
 public:
  // Starts are coalesced by default (NetworkOptions::coalesce_starts: the same times, far
  // fewer solves when a task starts many collectives or many rounds end together).
  SharedNetwork(const topology::Topology& topo, engine::EventQueue& queue,
                NetworkOptions options = NetworkOptions{.coalesce_starts = true});

  // The start of an external task that runs `specs` together on the shared network. The
  // returned function may be called once per task start; it must outlive nothing but this
  // SharedNetwork.
  engine::ExternalStart collective_task(std::vector<CollectiveSpec> specs);

  Network& network() { return network_; }
  const Network& network() const { return network_; }
  // Collectives started and finished so far.
  std::uint64_t started() const { return started_; }
  std::uint64_t finished() const { return finished_; }

 private:
  Network network_;
  std::uint64_t started_ = 0;
  std::uint64_t finished_ = 0;
};

}  // namespace switchsim::net
