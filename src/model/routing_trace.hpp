#pragma once
// A routing trace: per-step, per-expert assignment counts of one routing group, recorded from
// a real router, optionally with the router's probability mass per expert. File format (JSON):
//   {"experts": E, "tokens_per_group": T, "top_k": k (default 1), "source": "..." (optional),
//    "steps": [ [c_0, ..., c_{E-1}],                                  <- counts only, or
//               {"counts": [c_0, ...], "router_prob": [P_0, ...]} ] }  <- with P_i
// c_e: assignments of the group's T tokens to expert e (each token picks k distinct experts,
// so 0 <= c_e <= T and sum_e c_e = T k). P_e: the router's mean softmax probability of expert e
// over the group's tokens (Switch Transformers eq. 6), so sum_e P_e = 1; with it the step's
// auxiliary loss is exact (eq. 4). Steps are used in order, counts as given (no resampling).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace switchsim::model {

struct RoutingTraceStep {
  std::vector<std::int64_t> counts;  // per expert, summing to tokens_per_group x top_k
  std::vector<double> router_prob;   // P_e per expert, summing to 1; empty when the trace has none
};

struct RoutingTrace {
  std::string file;
  std::int64_t experts = 0;
  std::int64_t tokens_per_group = 0;
  std::int64_t top_k = 1;
  std::vector<RoutingTraceStep> steps;
};

// Reads and checks a trace for a model of `experts` experts routing top-`top_k`. Every sum goes
// through checked arithmetic. Throws config::ConfigError naming the file and the JSON pointer
// of the offending step and expert (e.g. "t.json: /steps/2/5: ...").
RoutingTrace read_routing_trace(const std::filesystem::path& path, std::int64_t experts, std::int64_t top_k);

// The trace step's counts for a group of `tokens` tokens: as given when tokens equals the
// trace's tokens_per_group, else scaled to tokens x top_k assignments by largest remainders
// (deterministic; ties to the lower expert index). Throws std::out_of_range for a step
// beyond the trace.
std::vector<std::int64_t> trace_counts(const RoutingTrace& trace, std::int64_t step, std::int64_t tokens);

}  // namespace switchsim::model
