#pragma once
// Where tokens go: per-expert token counts for a group of tokens, from a seeded distribution
// or a trace; expert capacity, dropped tokens and the auxiliary load-balancing loss.
// Switch Transformers (Fedus et al. 2021): §2.2 capacity, §2.2 eq. 4-6 auxiliary loss.

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace switchsim::model {

struct RoutingSpec {
  enum class Kind { uniform, zipf, hot, trace };
  Kind kind = Kind::uniform;
  double parameter = 0.0;  // zipf exponent s, or the hot expert's fraction of tokens
  // trace: expert-share rows (one per step), each summing to 1.
  std::vector<std::vector<double>> trace_shares;
  std::string text = "uniform";  // as given, for output rows
};

// "uniform", "zipf:1.1", "hot:0.3", "trace:FILE". Throws std::invalid_argument for unknown
// kinds or bad parameters, config::ConfigError for a bad trace file.
RoutingSpec parse_routing(const std::string& text);

// Reads a routing trace: {"experts": E, "tokens_per_group": T, "steps": [[c_0..c_{E-1}], ...]}
// where every row sums to T (times top_k when "top_k" is given). Errors name file and pointer.
RoutingSpec load_routing_trace(const std::filesystem::path& path, std::int64_t experts);

// Expert capacity: C = max(ceil(k * cf * T / E), min_capacity). For k = 1 this is the paper's
// (tokens per batch / experts) x capacity factor; for k = 2 each token makes two assignments,
// so capacity scales with k (GShard's convention), keeping cf comparable between the two.
std::int64_t expert_capacity(std::int64_t tokens, std::int64_t experts, double capacity_factor, std::int64_t top_k,
                             std::int64_t min_capacity);

// Expert shares (probabilities summing to 1) for one group; `step` selects the trace row.
std::vector<double> expert_shares(const RoutingSpec& spec, std::int64_t experts, std::int64_t step,
                                  std::mt19937_64& rng);

// Multinomial counts of `assignments` over `shares` (deterministic for a seeded rng).
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
LoadSummary summarize_load(const std::vector<std::int64_t>& counts, std::int64_t capacity);

// Auxiliary loss alpha * N * sum_i f_i * P_i (eq. 4), with f_i the fraction of tokens sent to
// expert i and P_i its mean router probability. The router's probability mass on the chosen
// expert is `confidence`; the rest is spread evenly, so P_i = confidence * f_i + (1 - confidence) / N.
// Uniform load gives alpha for any confidence; all tokens on one expert with confidence 1 gives alpha * N.
double auxiliary_loss(const std::vector<std::int64_t>& counts, double confidence, double alpha = 0.01);

}  // namespace switchsim::model
