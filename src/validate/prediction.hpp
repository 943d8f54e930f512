#pragma once
// One measured row predicted: the layer the reference ran as a model::LayerScenario, predicted
// on a profile's cluster (model::predict_layer for the CPU reference, predict_cuda_layer kernel
// by kernel for the CUDA one), with err = predicted / measured - 1 per phase and for the step.

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/cluster_config.hpp"
#include "model/comm_model.hpp"
#include "model/layer_prediction.hpp"
#include "ref/measurement.hpp"

namespace switchsim::validate {

// "closed-form" (model/comm_model.hpp's closed forms on the topology's injection bandwidth and
// latency) or "flow" (comm/flow_comm.hpp); RequestError otherwise.
std::unique_ptr<model::CommModel> comm_model(const config::ClusterConfig& cluster, const std::string& kind);

// The reference's layer as the model's scenario (its routing as given: a skew the model samples).
model::LayerScenario scenario_of(const ref::LayerSpec& s);

// The scenario a measured row is predicted with: scenario_of(spec), except that a skewed
// routing is replaced by the load the reference measured (measured_load below), so that the
// model and the reference describe the same layer. (The reference's skew knob is a logit bias,
// the model's a load share: the same words would describe two different inputs.)
model::LayerScenario scenario_of_row(const ref::LayerSpec& spec, const nlohmann::json& row);

// The measured per-expert load of a row as a one-step routing trace, when the row has one:
// "expert_assignments" (CPU reference: every top-k choice before drops, summed over the ranks)
// is one routing group of tokens_per_rank x ranks tokens, which trace_counts scales to each
// rank's tokens_per_rank (largest remainders); "expert_tokens" of a CUDA row are rank 0's own
// assignments, one group of tokens_per_rank tokens. Every rank's group is then given the same
// counts: the expert hosts receive the measured totals (exact for the dropless all-to-all, whose
// received rows are sums over the groups); only the per-rank differences of a capacity drop
// are averaged away. nullptr when the row has no counts.
std::shared_ptr<const model::RoutingTrace> measured_load(const ref::LayerSpec& spec, const nlohmann::json& row);

// Adds the predicted <phase>_time_s, forward/backward/step_time_s, err_*, predicted_capacity,
// predicted_dropped_token_frac and, for a profile with spreads, step_time_s_lo/_hi (the same
// prediction at the p90 and p10 rates) and measured_within_band to a measured row.
void add_prediction(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                    const std::string& comm_kind);

// `--oracle`: the step time the saved profile predicts (profile_step_time_s,
// profile_err_step_time), beside the oracle's.
void add_profile_columns(nlohmann::json& row, const ref::LayerSpec& spec, const config::ClusterConfig& cluster,
                         const std::string& comm_kind);

// The spec of a measured row (a `measure` or `validate` JSON row); config::ConfigError naming
// `file` and the row's `pointer` for a missing or bad field.
ref::LayerSpec spec_of_row(const nlohmann::json& row, const std::string& file, const std::string& pointer);

}  // namespace switchsim::validate
