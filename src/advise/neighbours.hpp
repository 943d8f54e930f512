#pragma once
// "Why not" for the neighbours of a recommendation: the searched points that differ from the
// pick in exactly one axis (experts, top-k, capacity factor, layout, global batch, microbatches,
// remat, dispatch), taking on that axis the nearest value below and above the pick's, each
// with the reason it was not chosen: its rejection, or what it loses on the recommendation's
// goal. With microbatches "auto", the count below the pick's was not kept as a point (its
// memory did not fit); it is listed from the memory computed for it.

#include <cstddef>
#include <string>
#include <vector>

#include "advise/search.hpp"

namespace switchsim::advise {

struct Neighbour {
  std::string axis;   // experts, top_k, capacity_factor, layout, batch_tokens, microbatches, remat, dispatch
  std::string value;  // the neighbour's value on that axis
  std::optional<std::size_t> index;  // into the candidates; none for a microbatch count not kept
  std::string why_not;
};

// `goal` is a Recommendation::goal (fastest_step, most_params, time_to_quality).
std::vector<Neighbour> neighbours(const std::vector<Candidate>& all, std::size_t pick, const std::string& goal,
                                  double max_step_time_s, const Limits& limits);

}  // namespace switchsim::advise
