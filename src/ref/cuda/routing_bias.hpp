#pragma once
// How the reference imposes a routing distribution on a real router: a per-expert bias
// b_e = log(p_e * E) added to the router logits (zero for uniform). With router logits of
// standard deviation kRouterLogitStd (about the Gumbel distribution's pi/sqrt(6)), the argmax
// of logit + bias picks expert e with probability close to p_e (the Gumbel-max trick would
// make it exact; Gaussian logits make it approximate, so the measured load is reported).

#include <cstdint>
#include <string>
#include <vector>

namespace switchsim::ref::cuda {

inline constexpr double kRouterLogitStd = 1.2825;

// "uniform", "zipf:S" (p_e proportional to 1/(e+1)^S), "hot:FRAC" (expert 0 gets FRAC of the
// tokens, the rest share 1 - FRAC evenly). Throws std::invalid_argument on anything else.
std::vector<double> routing_probabilities(const std::string& routing, std::int64_t experts);
std::vector<float> routing_bias(const std::string& routing, std::int64_t experts);

// Scale of the uniform[-1,1) router weights so that logits x.W (x uniform[-1,1)) have the
// standard deviation kRouterLogitStd: Var = d * (1/3) * (s^2 / 3) = std^2.
double router_weight_scale(std::int64_t d_model);

}  // namespace switchsim::ref::cuda
