#include "comm/closed_form.hpp"

#include <variant>

namespace switchsim::comm {

config::LinkSpec injection_link(const config::TopologySpec& spec) {
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

std::unique_ptr<model::CommModel> closed_form_comm(const config::ClusterConfig& cluster) {
  const auto link = injection_link(cluster.topology);
  return std::make_unique<model::ClosedFormComm>(link.bandwidth, link.latency);
}

}  // namespace switchsim::comm
