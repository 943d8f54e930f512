#pragma once
// Prediction for one Switch layer, forward and backward, as the reference implementations
// run it (ref/cpu, ref/cuda): T tokens per rank, E experts sharded over R ranks, the phases
// router, dispatch, alltoall_dispatch, expert_ffn, alltoall_combine, combine. `validate`
// compares this with a measurement phase by phase, on a calibrated device profile.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compute/kernel_model.hpp"
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
  std::optional<double> aux_loss;  // alpha N sum f_i P_i, when the routing trace gives P_i
  double aux_loss_proxy = 0;       // alpha N sum f_i^2
};

// What the layer asks of the critical rank, whatever the device: the routed load (sampled from
// the scenario's routing with its seed) and the rows, bytes and messages of each phase.
struct LayerWork {
  std::int64_t tokens = 0;     // per rank
  std::int64_t capacity = 0;
  double dropped_token_frac = 0;
  std::optional<double> aux_loss;  // alpha N sum f_i P_i, when the routing trace gives P_i
  double aux_loss_proxy = 0;       // alpha N sum f_i^2
  CommRequest alltoall;        // one exchange (dispatch; combine is the same reversed)
  std::int64_t dispatch_rows = 0;                  // rows each rank writes into its send buffer
  std::int64_t kept_rows = 0;                      // assignments the token owner keeps (<= k T)
  std::vector<std::int64_t> rows_per_local_expert;  // on the critical rank
  std::int64_t received_rows = 0;                   // on the critical rank
};

// plan_switch_layer with one routing group per rank. Throws std::invalid_argument when experts
// are not divisible by ranks.
LayerWork plan_layer(const LayerScenario& scenario);

// Uses the first `ranks` devices of `cluster`; throws std::invalid_argument when the
// scenario does not fit (experts not divisible by ranks, more ranks than devices...).
// The expert phase includes the reference's regrouping of received rows: each local expert's
// rows arrive from every rank (source-major) and are copied into one slab before its GEMMs and
// back after them (read + write of the rows, twice per direction).
LayerPrediction predict_layer(const LayerScenario& scenario, const config::ClusterConfig& cluster, CommModel& comm);

// Every GEMM shape (m, n, k and whether B is transposed; batch 1, deduplicated, sorted by m, n, k,
// not transposed first) that predict_layer asks
// the kernel model about for `scenario`, on a device whose GEMM tile is `gemm_tile` (it pads
// ragged experts): what a calibration must measure for the prediction to use measured rates only.
std::vector<compute::GemmShape> layer_gemm_shapes(const LayerScenario& scenario, std::int64_t gemm_tile);

}  // namespace switchsim::model
