#pragma once
// How a collective is scheduled (net/collective.hpp gives each schedule). The one list the
// workload names: parsed once from the user's text at the edge (make_inputs), mapped to the
// network's own net::Algorithm in comm/ (model/ does not see net/).

#include <optional>
#include <string>
#include <string_view>

namespace switchsim::model {

enum class CommAlgorithm { direct, pairwise, hierarchical, ring, tree };
std::string comm_algorithm_name(CommAlgorithm algorithm);
// nullopt for a name that is none of the above.
std::optional<CommAlgorithm> parse_comm_algorithm(std::string_view name);

}  // namespace switchsim::model
