#include "comm/closed_form.hpp"

#include <algorithm>
#include <stdexcept>
#include <variant>


namespace switchsim::comm {

Picoseconds ClosedFormComm::time(const model::CommRequest& r) {
  if (r.groups.empty()) return Picoseconds(0);
  const auto n = static_cast<std::int64_t>(r.groups.front().size());
  if (n <= 1) return Picoseconds(0);
  // (n-1)/n of S, rounded up to whole bytes.
  const Bytes share = Bytes::from_double(r.bytes_per_rank.as_double() * static_cast<double>(n - 1) /
                                         static_cast<double>(n));
  switch (r.op) {
    case model::CommOp::alltoall:
      if (r.algorithm == model::CommAlgorithm::pairwise) return share / bandwidth_ + latency_ * (n - 1);
      return share / bandwidth_ + latency_;
    case model::CommOp::alltoallv: {
      Bytes worst(0);
      for (std::size_t i = 0; i < r.matrix.size(); ++i) {
        Bytes sent(0), received(0);
        for (std::size_t j = 0; j < r.matrix.size(); ++j) {
          if (i == j) continue;
          sent += r.matrix[i][j];
          received += r.matrix[j][i];
        }
        worst = std::max({worst, sent, received});
      }
      return worst / bandwidth_ + latency_;
    }
    case model::CommOp::allreduce:
      if (r.algorithm == model::CommAlgorithm::tree) {
        // Pipelined binary tree: reduce up and broadcast down, each at full bandwidth,
        // 2 * ceil(log2 n) message latencies.
        std::int64_t depth = 0;
        while ((std::int64_t{1} << depth) < n) ++depth;
        return (r.bytes_per_rank * 2) / bandwidth_ + latency_ * (2 * depth);
      }
      return (share * 2) / bandwidth_ + latency_ * (2 * (n - 1));
    case model::CommOp::allgather:
    case model::CommOp::reducescatter:
      return share / bandwidth_ + latency_ * (n - 1);
  }
  throw std::logic_error("unknown collective");
}

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
  return std::make_unique<ClosedFormComm>(link.bandwidth, link.latency);
}

}  // namespace switchsim::comm
