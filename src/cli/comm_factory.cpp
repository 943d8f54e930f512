#include "cli/comm_factory.hpp"

#include <variant>

#include "cli/command.hpp"
#include "comm/flow_comm.hpp"

namespace switchsim::cli {
namespace {
// The bandwidth a device injects into the fabric its collectives cross, and one message's latency.
config::LinkSpec injection(const config::TopologySpec& spec) {
  if (const auto* s = std::get_if<config::NvSwitchSpec>(&spec)) return {s->link.bandwidth, s->link.latency * 2};
  if (const auto* f = std::get_if<config::FatTreeSpec>(&spec))
    return {f->nodes > 1 || !f->intra_node ? f->nic.bandwidth : f->intra_node->bandwidth,
            f->nic.latency * 2 + f->switch_latency * 2};
  if (const auto* t = std::get_if<config::TorusSpec>(&spec)) return {t->link.bandwidth, t->link.latency};
  if (const auto* r = std::get_if<config::RingSpec>(&spec)) return {r->link.bandwidth, r->link.latency};
  if (const auto* d = std::get_if<config::DragonflySpec>(&spec))
    return {d->endpoint_link.bandwidth, d->endpoint_link.latency * 2};
  const auto& e = std::get<config::EdgeListSpec>(spec);
  return e.edges.empty() ? config::LinkSpec{BytesPerSecond(1.0), Picoseconds(0)} : e.edges.front().link;
}
}  // namespace

std::unique_ptr<model::CommModel> make_comm_model(const config::ClusterConfig& cluster, const std::string& kind) {
  if (kind == "closed-form") {
    const auto link = injection(cluster.topology);
    return std::make_unique<model::ClosedFormComm>(link.bandwidth, link.latency);
  }
  if (kind == "flow") return std::make_unique<comm::FlowComm>(cluster);
  throw UsageError("--network must be closed-form or flow, got '" + kind + "'");
}

}  // namespace switchsim::cli
