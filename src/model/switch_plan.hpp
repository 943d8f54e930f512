#pragma once
// One Switch layer's routed load, device-free: what the step simulation (simulate) and the
// single-layer prediction (validate) both cost. For `groups` routing groups of T tokens each
// (one per device of the expert-parallel group, plus more sampled for statistics): expert
// capacity, per-expert counts (sampled from the routing's load shares, or a trace step's
// counts as given), drops, the auxiliary loss, and the rows and bytes of each phase under
// capacity padding (compute and bytes follow E·C) or dropless routing (actual counts).

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "moe/layer_shape.hpp"
#include "model/routing.hpp"
#include "model/sampled_counts.hpp"
#include "model/step_inputs.hpp"
#include "units/units.hpp"

namespace switchsim::model {

struct SwitchPlanInputs {
  moe::SwitchLayerShape shape;  // tokens = T per routing group
  double capacity_factor = 1.0;
  std::int64_t min_capacity = 0;
  Padding padding = Padding::capacity;
  std::int64_t ep = 1;      // expert-parallel group size; E divisible by it
  std::int64_t groups = 1;  // routing groups sampled; dropless needs the ep members (>= ep)
  std::int64_t bytes_per_element = 2;
  const RoutingSpec* routing = nullptr;  // must outlive the call
  std::int64_t step = 0;                  // the trace step (traces), in order
  // C when the dispatch fixes it otherwise (einsum: G groups of C each, dispatch_cost.hpp);
  // unset: expert_capacity of T.
  std::optional<std::int64_t> capacity;
  // Reuse of sampled counts across calls (exact: sampled_counts.hpp); none: draw every time.
  SampledCountsCache* cache = nullptr;
};

struct SwitchPlan {
  std::int64_t tokens = 0;    // T per routing group
  std::int64_t capacity = 0;  // C
  // Rows each device writes into its send buffer: E·C (capacity) or k·T (dropless). The same
  // rows come back to the token owner in the combine all-to-all.
  std::int64_t dispatch_rows = 0;
  // Assignments the token owner keeps (<= k·T, dropped ones excluded): what the combine's
  // forward reads. The largest over the sampled groups (the critical device).
  std::int64_t kept_rows = 0;
  std::vector<std::int64_t> rows_per_local_expert;  // on the critical device (expert host)
  std::int64_t received_rows = 0;                   // on the critical device
  Bytes alltoall_bytes_per_rank;                    // capacity padding: what each device sends
  std::vector<std::vector<Bytes>> matrix;           // dropless: bytes from member i to member j
  std::int64_t assignments = 0;                     // over the sampled groups
  std::int64_t dropped = 0;                         // over the sampled groups (capacity padding)
  double aux_loss_proxy_sum = 0;                    // sum over groups of aux_loss_proxy
  std::optional<double> aux_loss_sum;               // sum over groups of aux_loss, when P_i is known
  std::int64_t groups_sampled = 0;

  double dropped_frac() const {
    return assignments ? static_cast<double>(dropped) / static_cast<double>(assignments) : 0.0;
  }
};

// Throws std::invalid_argument for inconsistent inputs (experts not divisible by ep, fewer
// groups than ep under dropless, no routing).
SwitchPlan plan_switch_layer(const SwitchPlanInputs& inputs, std::mt19937_64& rng);

}  // namespace switchsim::model
