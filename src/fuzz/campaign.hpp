#pragma once
// A fuzzing campaign: N mutants of seed inputs, each parsed by its parser and, when accepted,
// simulated for one step on the closed-form network with a small batch (so that values a
// parser lets through reach the sizes, samplers and schedules they drive). Counts are counted:
// every input is accepted, rejected (ConfigError, std::invalid_argument, OverflowError) or an
// unexpected exception; a crash ends the process and a hang is caught by the per-input time
// (CPU time of the fuzzing thread, measured per input, and reported with the seed and index
// to replay it).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/catalog.hpp"
#include "config/cluster_config.hpp"
#include "config/model_config.hpp"

namespace switchsim::fuzz {

struct SeedInput {
  std::string kind;  // model, device, cluster, trace, grid
  std::string text;
};

// What accepted inputs are simulated with: a model and cluster that are swapped for the
// parsed one (model: base cluster; device: base cluster with that device; cluster: base
// model; trace: base model with the trace's experts; grid: its first point).
struct SimulationBase {
  config::ModelConfig model;
  config::ClusterConfig cluster;
  const config::Catalog* catalog = nullptr;  // grids name models and clusters
};

struct KindCounts {
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t simulated = 0;            // accepted and simulated to the end
  std::int64_t simulation_rejected = 0;  // accepted, refused by the simulator (invalid_argument, OverflowError)
};

struct CampaignResult {
  std::map<std::string, KindCounts> kinds;
  std::int64_t inputs = 0;
  std::int64_t unexpected_exceptions = 0;
  std::int64_t over_time_limit = 0;
  double slowest_input_s = 0.0;  // CPU seconds
  std::int64_t slowest_index = -1;
};

// A problem with one input: its index (replay: the same seed, inputs up to index), kind, text, why.
struct Finding {
  std::int64_t index = 0;
  std::string kind;
  std::string text;
  std::string what;
};

struct CampaignOptions {
  std::uint64_t seed = 0;
  std::int64_t inputs = 0;
  double per_input_limit_s = 1.0;
  bool simulate = true;
};

// Input i is seeds[i % seeds.size()] mutated by a Mutator seeded with `seed`, so one seed
// replays the whole campaign. `on_finding` is called for each unexpected exception or input
// over the time limit (the campaign goes on).
CampaignResult run_campaign(const std::vector<SeedInput>& seeds, const SimulationBase& base,
                            const CampaignOptions& options, const std::function<void(const Finding&)>& on_finding);

}  // namespace switchsim::fuzz
