#include "model/comm_model.hpp"

#include <algorithm>
#include <stdexcept>

namespace switchsim::model {

std::string comm_op_name(CommOp op) {
  switch (op) {
    case CommOp::alltoall: return "alltoall";
    case CommOp::alltoallv: return "alltoallv";
    case CommOp::allreduce: return "allreduce";
    case CommOp::allgather: return "allgather";
    case CommOp::reducescatter: return "reducescatter";
  }
  return "?";
}

Picoseconds ClosedFormComm::time(const CommRequest& r) {
  if (r.groups.empty()) return Picoseconds(0);
  const auto n = static_cast<std::int64_t>(r.groups.front().size());
  if (n <= 1) return Picoseconds(0);
  // (n-1)/n of S, rounded up to whole bytes.
  const Bytes share = Bytes::from_double(r.bytes_per_rank.as_double() * static_cast<double>(n - 1) /
                                         static_cast<double>(n));
  switch (r.op) {
    case CommOp::alltoall:
      if (r.algorithm == "pairwise") return share / bandwidth_ + latency_ * (n - 1);
      return share / bandwidth_ + latency_;
    case CommOp::alltoallv: {
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
    case CommOp::allreduce:
      if (r.algorithm == "tree") {
        // Pipelined binary tree: reduce up and broadcast down, each at full bandwidth,
        // 2 * ceil(log2 n) message latencies.
        std::int64_t depth = 0;
        while ((std::int64_t{1} << depth) < n) ++depth;
        return (r.bytes_per_rank * 2) / bandwidth_ + latency_ * (2 * depth);
      }
      return (share * 2) / bandwidth_ + latency_ * (2 * (n - 1));
    case CommOp::allgather:
    case CommOp::reducescatter:
      return share / bandwidth_ + latency_ * (n - 1);
  }
  throw std::logic_error("unknown collective");
}

}  // namespace switchsim::model
