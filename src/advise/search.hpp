#pragma once
// The advise search space: global batches x top-k x expert counts x capacity factors x the
// parallel layouts that fit the cluster (paper §5: tp in {1,2,4,8} dividing the devices of one
// node, dp = devices / tp, ep a power of two dividing dp and the expert count) x step options
// (rematerialization, dispatch) x microbatches (gradient accumulation: the global batch is
// kept, each of m microbatches carries 1/m of it).
//
// Memory is judged first, without simulating (advise/memory_bound.hpp: exact with capacity
// padding): a point over the memory allowed is rejected as it stands, and with microbatches
// "auto" each point takes the fewest microbatches (powers of two) whose memory fits. Only the
// remaining points are simulated, on worker threads; then each is marked feasible or rejected
// (invalid, out of memory, too little memory headroom, too many dropped tokens).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "advise/sample_efficiency.hpp"
#include "model/memory.hpp"
#include "config/catalog.hpp"
#include "model/layout.hpp"
#include "model/scenario.hpp"
#include "sweep/runner.hpp"

namespace switchsim::advise {

struct SearchSpec {
  std::string model;    // the family file used for every point, experts and top-k overridden
  std::string cluster;  // name or path
  std::vector<std::int64_t> experts{8, 16, 32, 64, 128, 256};
  std::vector<double> capacity_factors{0.5, 1.0, 1.25, 1.5, 2.0};
  std::vector<std::int64_t> top_ks{1, 2};
  std::vector<std::int64_t> batch_tokens{1 << 20};  // global batches (input tokens a step) searched
  // Microbatches searched; empty = auto: per point the fewest powers of two (1, 2, 4, ...) whose
  // memory fits the headroom, up to one sequence a device per microbatch.
  std::vector<std::int64_t> microbatches;
  // Step options searched as axes, each a list of values (empty: the model's default, not
  // searched): remat none|attention|full, dispatch einsum|scatter|grouped (model/step_options.hpp;
  // set through apply_step_option).
  std::vector<std::string> remat;
  std::vector<std::string> dispatch;
  std::string routing = "uniform";
  std::string padding = "capacity";
  std::optional<std::int64_t> group_size;  // einsum's S; default: 1024
  std::uint64_t seed = 1;
  std::vector<std::int64_t> tensor_parallel{1, 2, 4, 8};  // tp values tried (each must divide a node)
};

struct Limits {
  double max_drop_frac = 0.01;    // points dropping more tokens are rejected
  double memory_headroom = 0.1;   // points with less free device memory are rejected
};

// One simulated (or rejected) configuration.
struct Candidate {
  std::int64_t index = 0;  // position in the search, stable
  model::Scenario scenario;
  std::int64_t experts = 0;
  std::int64_t top_k = 1;
  double capacity_factor = 1.0;
  std::string layout;  // "dp=..,tp=..,ep=.."
  std::int64_t batch_tokens = 0;
  std::int64_t microbatches = 1;
  std::string remat;     // empty: not searched
  std::string dispatch;  // empty: not searched
  bool simulated = false;
  bool memory_known = false;         // invalid points have none
  bool memory_before_simulating = false;  // judged (and rejected) on memory alone, not simulated
  model::MemoryBreakdown memory;     // per component, simulated or (when not simulated) computed
  // Microbatches auto: the memory at half this point's microbatches, which did not fit (0: none).
  double fewer_microbatches_memory_bytes = 0;
  double step_time_s = 0;
  std::int64_t params = 0;
  double memory_used_bytes = 0;
  double memory_capacity_bytes = 0;
  double headroom_frac = 0;
  double dropped_token_frac = 0;
  double alltoall_time_s = 0;  // dispatch + combine on the critical device
  double alltoall_share = 0;   // of the step
  std::optional<double> dense_step_time_s;
  std::optional<double> steps_to_quality;    // estimate, from the sample-efficiency file
  std::optional<double> time_to_quality_s;   // estimate: steps_to_quality x step_time_s
  bool time_to_quality_extrapolated = false; // batch differs from the sample-efficiency file's
  std::string rejected;       // empty: feasible; else one line saying why
  std::string rejected_kind;  // invalid, out of memory, below memory headroom, too many dropped tokens

  bool feasible() const { return rejected.empty(); }
};

// The model file advise uses for a family: "<family>-128" when shipped, else the first
// shipped "<family>-<n>" (experts are overridden per point). Throws std::invalid_argument.
std::string family_model(const config::Catalog& catalog, const std::string& family);

// The first `devices` devices of a cluster, for --devices: an NVSwitch node with fewer
// endpoints, or a fat tree with fewer whole nodes (nodes per leaf shrunk to divide them).
// Other topologies, or a count that is not whole nodes, throw std::invalid_argument.
config::ClusterConfig first_devices(const config::ClusterConfig& cluster, std::int64_t devices);

// Devices that share one node's fast interconnect (tp stays inside it).
std::int64_t devices_per_node(const config::ClusterConfig& cluster);

// Layouts for `experts` on `devices` with `node` devices a node, tp outermost, then ep descending.
std::vector<model::ParallelLayout> candidate_layouts(std::int64_t devices, std::int64_t node, std::int64_t experts,
                                                     const std::vector<std::int64_t>& tensor_parallel = {1, 2, 4, 8});

// The memory a point may use: the device's capacity less the headroom.
double memory_allowed_bytes(const model::MemoryBreakdown& memory, const Limits& limits);

// Sets a step option searched as an axis ("remat", "dispatch") on a scenario. Throws
// std::invalid_argument naming the option when this build's model does not have it.
void apply_step_option(model::Scenario& scenario, const std::string& option, const std::string& value);

// The inputs of a searched point, as the search built them (for what-if questions about it).
model::StepInputs inputs_of(const Candidate& candidate, const config::Catalog& catalog);

// Microbatch counts tried by "auto": powers of two while the batch splits into whole sequences
// per device per microbatch.
std::vector<std::int64_t> microbatch_ladder(const model::StepInputs& inputs);

// Simulates the search space. Throws std::invalid_argument when no layout fits any point
// (the message says why), config::ConfigError for bad files.
std::vector<Candidate> search(const SearchSpec& spec, const Limits& limits, const SampleEfficiency* efficiency,
                              const config::Catalog& catalog, const sweep::CommFactory& make_comm, int threads,
                              const sweep::ProgressFn& progress);

}  // namespace switchsim::advise
