#pragma once
// Prediction for one Switch layer, forward and backward, as the reference implementations
// run it (ref/cpu, ref/cuda): T tokens per rank, E experts sharded over R ranks, the phases
// router, dispatch, alltoall_dispatch, expert_ffn, alltoall_combine, combine. `validate`
// compares this with a measurement phase by phase, on a calibrated device profile.

#include <cstdint>
#include <map>
#include <string>

#include "config/cluster_config.hpp"
#include "config/model_config.hpp"
#include "model/comm_model.hpp"
#include "model/routing.hpp"
#include "model/step_inputs.hpp"

namespace switchsim::model {

struct LayerScenario {
  std::int64_t d_model = 256;
  std::int64_t d_ff = 1024;
  config::FfnKind ffn = config::FfnKind::relu;
  std::int64_t experts = 8;
  std::int64_t top_k = 1;
  double capacity_factor = 1.0;
  std::int64_t tokens_per_rank = 1024;
  std::int64_t ranks = 1;
  std::int64_t min_capacity = 4;
  Padding padding = Padding::capacity;
  RoutingSpec routing;
  std::uint64_t seed = 1;
  DType dtype = DType::fp32;
  DType router_dtype = DType::fp32;
};

struct LayerPrediction {
  std::map<std::string, Picoseconds> phase;  // forward + backward per phase
  Picoseconds forward{0};
  Picoseconds backward{0};
  Picoseconds step{0};
  std::int64_t capacity = 0;
  double dropped_token_frac = 0;
  double aux_loss = 0;
};

// Uses the first `ranks` devices of `cluster`; throws std::invalid_argument when the
// scenario does not fit (experts not divisible by ranks, more ranks than devices...).
LayerPrediction predict_layer(const LayerScenario& scenario, const config::ClusterConfig& cluster, CommModel& comm);

}  // namespace switchsim::model
