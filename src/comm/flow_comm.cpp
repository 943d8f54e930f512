#include "comm/flow_comm.hpp"

#include <algorithm>

#include <optional>

#include "net/collective.hpp"
#include "net/concurrent.hpp"
#include "net/shared_network.hpp"

namespace switchsim::comm {
namespace {

// The workload's names for the network's (model/ cannot see net/); one case per value, so a
// new algorithm on either side breaks the build here (-Wswitch) until it is mapped.
net::Algorithm to_net(model::CommAlgorithm algorithm) {
  switch (algorithm) {
    case model::CommAlgorithm::direct: return net::Algorithm::direct;
    case model::CommAlgorithm::pairwise: return net::Algorithm::pairwise;
    case model::CommAlgorithm::hierarchical: return net::Algorithm::hierarchical;
    case model::CommAlgorithm::ring: return net::Algorithm::ring;
    case model::CommAlgorithm::tree: return net::Algorithm::tree;
  }
  throw std::logic_error("unknown algorithm");
}

net::CollectiveOp to_net(model::CommOp op) {
  switch (op) {
    case model::CommOp::alltoall: return net::CollectiveOp::alltoall;
    case model::CommOp::alltoallv: return net::CollectiveOp::alltoallv;
    case model::CommOp::allreduce: return net::CollectiveOp::allreduce;
    case model::CommOp::allgather: return net::CollectiveOp::allgather;
    case model::CommOp::reducescatter: return net::CollectiveOp::reducescatter;
  }
  throw std::logic_error("unknown collective");
}

// One step's shared network (net/shared_network.hpp); its solves go to the FlowComm's count.
class FlowSession final : public model::CommSession {
 public:
  FlowSession(const topology::Topology& topo, engine::EventQueue& queue, net::NetworkOptions options,
              FlowCounters& counters)
      : shared_(topo, queue, options), counters_(counters) {}
  FlowSession(const FlowSession&) = delete;
  FlowSession& operator=(const FlowSession&) = delete;
  ~FlowSession() override {
    const auto& network = shared_.network();
    counters_.solves += network.solves();
    counters_.sealed_rounds += network.sealed_rounds();
    counters_.opened_rounds += network.opened_rounds();
    counters_.class_openings += network.class_openings();
    counters_.refinements += network.refinements();
    if (shared_.started() > 0) ++counters_.co_simulated_steps;
  }
  engine::ExternalStart task(const model::CommRequest& request) override {
    return shared_.collective_task(collective_specs(request));
  }

 private:
  net::SharedNetwork shared_;
  FlowCounters& counters_;
};

}  // namespace

std::vector<net::CollectiveSpec> collective_specs(const model::CommRequest& request) {
  const net::Algorithm algorithm = to_net(request.algorithm);
  std::vector<net::CollectiveSpec> specs;
  specs.reserve(request.groups.size());
  for (const auto& group : request.groups) {
    net::CollectiveSpec spec;
    spec.op = to_net(request.op);
    spec.algorithm = algorithm;
    spec.ranks = group;
    spec.bytes_per_rank = request.bytes_per_rank;
    spec.matrix = request.matrix;
    specs.push_back(std::move(spec));
  }
  return specs;
}

FlowComm::FlowComm(const config::ClusterConfig& cluster, topology::RoutingOptions routing, net::ConcurrentOptions options)
    : topology_(topology::build_topology(cluster, routing)), options_(options) {}

Picoseconds FlowComm::time(const model::CommRequest& request) { return run(request).time; }

std::map<std::string, double> FlowComm::link_class_peaks(const model::CommRequest& request) {
  return run(request).class_peaks;
}

std::unique_ptr<model::CommSession> FlowComm::open_session(engine::EventQueue& queue) {
  // All-to-all rounds on an idle network are sealed (net/network.hpp) unless the shortcuts
  // are off, for checking.
  net::NetworkOptions network;
  network.coalesce_starts = true;
  network.seal_symmetric_rounds = options_.seals_rounds();
  return std::make_unique<FlowSession>(topology_, queue, network, counters_);
}

const FlowComm::Outcome& FlowComm::run(const model::CommRequest& request) {
  if (auto it = cache_.find(request); it != cache_.end()) return it->second;
  const auto specs = collective_specs(request);
  const auto result = net::concurrent_collectives_time(topology_, specs, options_);
  counters_.solves += result.solves;
  Outcome outcome{result.time, {}};
  for (std::size_t link = 0; link < result.peak_utilization.size(); ++link) {
    const double peak = result.peak_utilization[link];
    if (peak <= 0) continue;
    const auto& name = topology_.link_classes().at(static_cast<std::size_t>(topology_.links()[link].link_class));
    auto& slot = outcome.class_peaks[name];
    slot = std::max(slot, peak);
  }
  return cache_.emplace(request, std::move(outcome)).first->second;
}

}  // namespace switchsim::comm
