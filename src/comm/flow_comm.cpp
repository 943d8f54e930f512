#include "comm/flow_comm.hpp"

#include <fmt/format.h>

#include <optional>

#include "net/collective.hpp"
#include "net/concurrent.hpp"

namespace switchsim::comm {
namespace {

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

std::string cache_key(const model::CommRequest& r) {
  std::string key = fmt::format("{}|{}|{}|", model::comm_op_name(r.op), r.algorithm, r.bytes_per_rank.count());
  for (const auto& g : r.groups) key += fmt::format("{}/", fmt::join(g, ","));
  key += "|";
  for (const auto& row : r.matrix)
    for (const auto& b : row) key += fmt::format("{},", b.count());
  return key;
}

}  // namespace

FlowComm::FlowComm(const config::ClusterConfig& cluster, topology::RoutingOptions routing, net::ConcurrentOptions options)
    : topology_(topology::build_topology(cluster, routing)), options_(options) {}

Picoseconds FlowComm::time(const model::CommRequest& request) {
  const auto key = cache_key(request);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  const auto algorithm = net::parse_algorithm(request.algorithm);
  if (!algorithm) throw std::invalid_argument("flow network: unknown algorithm '" + request.algorithm + "'");
  std::vector<net::CollectiveSpec> specs;
  specs.reserve(request.groups.size());
  for (const auto& group : request.groups) {
    net::CollectiveSpec spec;
    spec.op = to_net(request.op);
    spec.algorithm = *algorithm;
    spec.ranks = group;
    spec.bytes_per_rank = request.bytes_per_rank;
    spec.matrix = request.matrix;
    specs.push_back(std::move(spec));
  }
  const auto result = net::concurrent_collectives_time(topology_, specs, options_);
  const Picoseconds end = result.time;
  solves_ += result.solves;
  cache_.emplace(key, end);
  return end;
}

}  // namespace switchsim::comm
