#pragma once
// Where tokens go: per-expert assignment counts for a group of tokens, from a seeded
// distribution or a trace; dropped tokens and the auxiliary load-balancing loss.
// Switch Transformers (Fedus et al. 2021): §2.2 capacity (moe/capacity.hpp), eq. 4-6 aux loss.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "moe/routing_skew.hpp"
#include "model/routing_trace.hpp"

namespace switchsim::model {

struct RoutingSpec {
  enum class Kind { uniform, zipf, hot, trace };
  Kind kind = Kind::uniform;
  moe::RoutingSkew skew;                      // uniform, zipf, hot
  std::shared_ptr<const RoutingTrace> trace;  // kind == trace (after load_routing_trace)
  std::string text = "uniform";               // as given, for output rows
};

// "uniform", "zipf:1.1", "hot:0.3" (moe::parse_routing_skew), "trace:FILE" (the file is read
// by load_routing_trace). Throws std::invalid_argument for unknown kinds or bad parameters.
RoutingSpec parse_routing(const std::string& text);

// Reads a routing trace (format: routing_trace.hpp) for a model of `experts` experts routing
// top-`top_k`. Errors (config::ConfigError) name the file and the pointer of step and expert.
RoutingSpec load_routing_trace(const std::filesystem::path& path, std::int64_t experts, std::int64_t top_k = 1);

// Load shares (the model's reading of a routing skew; probabilities summing to 1) for one
// step: moe::skew_shares with the zipf ranks assigned to experts by a seeded shuffle and the
// hot expert chosen by the seed, so that the hot expert is not always expert 0. For a trace,
// the step's counts over their sum.
std::vector<double> expert_shares(const RoutingSpec& spec, std::int64_t experts, std::int64_t step,
                                  std::mt19937_64& rng);

// Above this many trials a binomial draw is its normal approximation (below).
inline constexpr std::int64_t kExactBinomialLimit = std::int64_t{1} << 31;

// Multinomial counts of `assignments` over `shares` by sequential binomials (deterministic for
// a seeded rng); the counts always sum to `assignments`. A binomial of n > kExactBinomialLimit
// trials is drawn as round(n p + sqrt(n p (1-p)) z), z standard normal, clamped to [0, n]: at
// that size the normal approximation's error (Berry-Esseen, O(1/sqrt(n p (1-p)))) is far below
// a row, and std::binomial_distribution does not return for counts near 2^62.
std::vector<std::int64_t> sample_counts(const std::vector<double>& shares, std::int64_t assignments,
                                        std::mt19937_64& rng);

struct LoadSummary {
  std::int64_t assignments = 0;  // tokens x top_k
  std::int64_t dropped = 0;      // assignments over capacity
  std::int64_t max_count = 0;    // hottest expert's assignments (before dropping)
  double dropped_frac() const {
    return assignments == 0 ? 0.0 : static_cast<double>(dropped) / static_cast<double>(assignments);
  }
};
// Sums through checked arithmetic (OverflowError past int64).
LoadSummary summarize_load(const std::vector<std::int64_t>& counts, std::int64_t capacity);

inline constexpr double kAuxLossAlpha = 0.01;  // Switch Transformers §2.2: alpha = 10^-2

// The auxiliary loss alpha * N * sum_i f_i * P_i (eq. 4), f_i the fraction of assignments sent
// to expert i, P_i the router's mean probability of expert i (eq. 6), given by a trace.
// Uniform f and P give alpha; everything on one expert with P = 1 gives alpha * N.
double aux_loss(const std::vector<std::int64_t>& counts, const std::vector<double>& router_prob,
                double alpha = kAuxLossAlpha);

// Without P_i: alpha * N * sum_i f_i^2, a load-imbalance measure (the loss if the router put
// all of a token's probability on its chosen expert, P_i = f_i). Not the loss; outputs name
// it aux_loss_proxy.
double aux_loss_proxy(const std::vector<std::int64_t>& counts, double alpha = kAuxLossAlpha);

}  // namespace switchsim::model
