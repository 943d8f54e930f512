#include "model/comm_model.hpp"

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

}  // namespace switchsim::model
