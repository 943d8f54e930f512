#pragma once
// The router's decisions for one rank's tokens: which expert(s) each token goes to, at which
// slot of the expert's capacity buffer, and which assignments are dropped for lack of room.
// Pure functions on host arrays, so tests can check them by hand.

#include <cstdint>
#include <string>
#include <vector>

#include "moe/capacity.hpp"

namespace switchsim::ref::cpu {

// Expert capacity: moe::expert_capacity (moe/capacity.hpp), included here for the callers.

// The references' reading of a routing skew (moe/routing_skew.hpp, parsed there): a bias added
// to every token's router logits, ln p_e up to a constant that softmax ignores: "uniform" (none),
// "zipf:S" (b_e = -S ln(e+1), so expert e's odds fall as (e+1)^-S), "hot:F" (expert 0 gets
// b = ln(F (E-1) / (1-F)), which gives it softmax mass F when the other logits are equal).
// The knob skews the random inputs; the load actually reached is measured, not assumed.
// Throws std::invalid_argument on an unknown spec.
std::vector<float> routing_bias(const std::string& routing, std::int64_t experts);
// Throws std::invalid_argument with a one-line reason when `routing` is not a known spec.
void check_routing_spec(const std::string& routing);

struct Assignment {
  std::int64_t token = 0;
  std::int64_t expert = 0;
  std::int64_t slot = 0;  // position in the expert's buffer (valid when kept)
  float gate = 0;         // router probability of this expert for this token
  bool kept = false;
};

struct RoutingPlan {
  std::int64_t tokens = 0;
  std::int64_t experts = 0;
  std::int64_t top_k = 1;
  std::int64_t capacity = 0;
  // T*k entries: choice c of token t at [c * T + t]; choice 0 is the most probable expert.
  std::vector<Assignment> assignments;
  std::vector<std::int64_t> kept_per_expert;   // tokens placed, <= capacity
  std::vector<std::int64_t> routed_per_expert;  // tokens that chose it, before dropping
  std::int64_t dropped = 0;                     // assignments that did not fit
  // Load-balancing loss (Switch eq. 4): alpha * E * sum_i f_i * P_i, f_i the fraction of
  // tokens whose first choice is i, P_i the mean router probability of i.
  std::vector<double> f;
  std::vector<double> p_mean;
  double aux_loss = 0;
};

// probs is [T, E] row-major (softmax outputs). Positions are given choice by choice (all
// first choices in token order, then all second choices), as in GShard: a token's second
// choice never takes a slot from another token's first choice. `capacity` < 0 means
// unlimited (dropless: every assignment is kept).
RoutingPlan route_tokens(const std::vector<float>& probs, std::int64_t tokens, std::int64_t experts,
                         std::int64_t top_k, std::int64_t capacity, double aux_alpha);

// Row-wise softmax of [rows, cols] in place (max-subtracted).
void softmax_rows(std::vector<float>& values, std::int64_t rows, std::int64_t cols);

// The router's backward up to its GEMMs: d(loss)/d(logits) [T, E] from the gates' gradients
// (`dgate`, one per assignment of `plan`, dropped ones ignored) scattered onto their logits,
// plus the load-balancing loss's when aux_alpha > 0 (d(alpha E sum f_i P_i) / d p[t,i] =
// alpha E f_i / T, f piecewise constant), through the softmax backward p * (dp - sum_j dp_j p_j).
// `probs` are the forward's softmax outputs.
void router_logit_gradients(const RoutingPlan& plan, const std::vector<float>& dgate, const std::vector<float>& probs,
                            double aux_alpha, std::vector<float>& dlogits);

}  // namespace switchsim::ref::cpu
