#pragma once
// The adapter between the workload's CommModel (model/comm_model.hpp) and the flow-level
// network (net/): every group of a request runs its collective at the same time on one
// shared Network, so groups that share links slow each other down. Repeated rounds (ring
// steps) are simulated once (net/concurrent.hpp, exact). Results are cached per request (a
// step asks the same collectives again and again). Not thread-safe: one per thread.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"
#include "net/concurrent.hpp"
#include "topology/topology.hpp"

namespace switchsim::comm {

// The network collectives of a request, one per group (what FlowComm times, and what a
// net::SharedNetwork's collective_task runs in a co-simulated step). The algorithm maps one
// to one (model::CommAlgorithm -> net::Algorithm); an op it does not implement throws
// std::invalid_argument when the collective's rounds are built.
std::vector<net::CollectiveSpec> collective_specs(const model::CommRequest& request);

struct FlowCounters {
  std::uint64_t solves = 0;
  std::uint64_t co_simulated_steps = 0;
  std::uint64_t sealed_rounds = 0;
  std::uint64_t opened_rounds = 0;
  std::uint64_t class_openings = 0;
  std::uint64_t refinements = 0;
};

class FlowComm final : public model::CommModel {
 public:
  explicit FlowComm(const config::ClusterConfig& cluster, topology::RoutingOptions routing = {},
                    net::ConcurrentOptions options = {});
  Picoseconds time(const model::CommRequest& request) override;
  std::string name() const override { return "flow"; }
  std::map<std::string, double> link_class_peaks(const model::CommRequest& request) override;
  // Co-simulation: one net::SharedNetwork on the step's queue; each communication task runs
  // collective_specs(request) on it. Its max-min solves are added to solves() when it closes.
  std::unique_ptr<model::CommSession> open_session(engine::EventQueue& queue) override;
  // Max-min solves so far (cache hits cost none; co-simulated steps' included), for benchmarks.
  std::uint64_t solves() const { return counters_.solves; }
  // Sessions (steps) that ran at least one collective on their shared network.
  std::uint64_t co_simulated_steps() const { return counters_.co_simulated_steps; }
  // Seals in co-simulated steps (all-to-all rounds started together timed class by class as
  // one), and those of them a later start opened into flows (net/network.hpp).
  std::uint64_t sealed_rounds() const { return counters_.sealed_rounds; }
  std::uint64_t opened_rounds() const { return counters_.opened_rounds; }
  // Of those openings, the ones into flow classes (net::NetworkOptions::symmetric_classes),
  // and the refinements of classes to a smaller subgroup or to flows.
  std::uint64_t class_openings() const { return counters_.class_openings; }
  std::uint64_t refinements() const { return counters_.refinements; }
  // The cluster's topology, for a net::SharedNetwork in a co-simulated step.
  const topology::Topology& topology() const { return topology_; }

 private:
  topology::Topology topology_;
  net::ConcurrentOptions options_;
  struct Outcome {
    Picoseconds time;
    std::map<std::string, double> class_peaks;
  };
  const Outcome& run(const model::CommRequest& request);
  // Keyed by the whole request (compared field by field, no copy on a lookup): a string key
  // formatted from 1,024-device group lists cost more than the steps that asked for it.
  std::map<model::CommRequest, Outcome> cache_;
  FlowCounters counters_;
};

}  // namespace switchsim::comm
