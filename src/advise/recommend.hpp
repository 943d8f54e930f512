#pragma once
// The advice: the Pareto frontier of the feasible points and one recommendation per goal
// (fastest step; most parameters within a step-time limit; best estimated time to quality).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <stdexcept>

#include "advise/neighbours.hpp"
#include "advise/sample_efficiency.hpp"
#include "advise/search.hpp"

namespace switchsim::advise {

struct Recommendation {
  std::string goal;   // fastest_step, most_params, time_to_quality
  std::string title;  // one line for people
  std::optional<std::size_t> pick;  // index into Advice::candidates; none when no point qualifies
  std::vector<std::string> reasons;
  std::vector<Neighbour> neighbours;  // why not the points next to the pick
};

// No candidate is feasible; what() counts the reasons in one line.
class NoFeasiblePoint : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct Advice {
  std::vector<Candidate> candidates;  // every point, feasible or not, in search order
  std::vector<std::size_t> frontier;  // feasible, non-dominated; sorted by step time
  std::vector<Recommendation> recommendations;
  double max_step_time_s = 0;
  bool max_step_time_default = false;  // true: 2x the fastest step, as no limit was given
};

// Default step-time limit for the most-parameters goal: this multiple of the fastest step.
inline constexpr double kDefaultStepTimeMultiple = 2.0;

// Throws NoFeasiblePoint when no candidate is feasible (the message counts the reasons).
// `limits` are those the search judged with (for the neighbours' reasons).
Advice recommend(std::vector<Candidate> candidates, std::optional<double> max_step_time_s,
                 const SampleEfficiency* efficiency, const std::string& routing, const Limits& limits);

}  // namespace switchsim::advise
