#include "model/comm_algorithm.hpp"

namespace switchsim::model {

std::string comm_algorithm_name(CommAlgorithm algorithm) {
  switch (algorithm) {
    case CommAlgorithm::direct: return "direct";
    case CommAlgorithm::pairwise: return "pairwise";
    case CommAlgorithm::hierarchical: return "hierarchical";
    case CommAlgorithm::ring: return "ring";
    case CommAlgorithm::tree: return "tree";
  }
  return "?";
}

std::optional<CommAlgorithm> parse_comm_algorithm(std::string_view name) {
  for (auto a : {CommAlgorithm::direct, CommAlgorithm::pairwise, CommAlgorithm::hierarchical, CommAlgorithm::ring,
                 CommAlgorithm::tree})
    if (comm_algorithm_name(a) == name) return a;
  return std::nullopt;
}

}  // namespace switchsim::model
