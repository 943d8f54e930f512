#pragma once
// One or two sentences per recommendation, made from the simulated numbers: what the pick
// costs, and what the neighbouring choice (the next expert count, the next lower capacity
// factor) would cost instead.

#include <cstddef>
#include <string>
#include <vector>

#include "advise/sample_efficiency.hpp"
#include "advise/search.hpp"

namespace switchsim::advise {

// "128 experts, top-1, cf 1.25, dp=8,tp=1,ep=8, batch 1048576 tokens, 16 microbatches[, remat full]".
std::string describe_point(const Candidate& c);

// "cf 1.25 drops 0.60% of tokens under zipf:1.1; cf 1.0 drops 4.00% (rejected: ...)".
std::string explain_capacity(const std::vector<Candidate>& all, std::size_t pick, const std::string& routing);
std::string explain_fastest(const std::vector<Candidate>& all, std::size_t pick);
std::string explain_most_params(const std::vector<Candidate>& all, std::size_t pick, double max_step_time_s);
std::string explain_time_to_quality(const std::vector<Candidate>& all, std::size_t pick, const SampleEfficiency& se);

// The feasible point with `experts` and `top_k` of lowest step time (or time to quality when
// `by_time_to_quality`), if any.
const Candidate* best_with(const std::vector<Candidate>& all, std::int64_t experts, std::int64_t top_k,
                           bool by_time_to_quality);

}  // namespace switchsim::advise
