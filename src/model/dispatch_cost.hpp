#pragma once
// How a Switch layer moves tokens to their experts and back, and what that costs on a device.
//
// einsum  GShard (Lepikhin et al. 2020, Algorithm 1) and Mesh TensorFlow's
//         transformer_moe_layer_v1 (mesh_tensorflow/transformer/moe.py, what the Switch
//         Transformers paper ran on TPU): the T tokens of a device are split into G groups of S
//         tokens; the router builds a one-hot dispatch mask [G,S,E,C] and a gate-weighted combine
//         mask of the same shape, C being the capacity of one group. Then
//           dispatch: expert_in[E,G,C,d] = einsum(mask[G,S,E,C], x[G,S,d])       2*S*E*C*d FLOPs/group
//           combine:  y[G,S,d]          = einsum(combine[G,S,E,C], out[E,G,C,d]) 2*S*E*C*d FLOPs/group
//         Backward: the dispatch mask is a cast of a one-hot (no gradient), so dispatch's backward
//         is one einsum (d x); combine's backward is two (d out, and d combine, which carries the
//         gate gradient). Five einsums of 2*S*E*C*d per group in all, plus the masks' memory
//         traffic (written in the forward; the combine mask's gradient written and read back in
//         the backward). The masks are in the compute dtype (the paper, Section 2.4: "the
//         resulting dispatch and combine tensors are recast to bfloat16").
// scatter Index gather/scatter of the kept rows into an [E, C, d] buffer (Tutel, DeepSpeed-MoE's
//         sparse kernels, the reference implementations here): memory-bound, PhaseCosts::dispatch
//         and PhaseCosts::combine.
// grouped Dropless ragged grouped GEMM (MegaBlocks, Gale et al. 2022): no capacity, no drops;
//         each expert's rows padded to the block size of the block-sparse kernels (128) and run
//         as one grouped GEMM; the all-to-all is an alltoallv of the actual counts.
// The router (GEMM in the router dtype, softmax, argmax, position cumsum) is the same in all
// three: PhaseCosts::router.

#include <cstdint>
#include <vector>

#include "config/model_config.hpp"
#include "model/phase_costs.hpp"
#include "model/step_inputs.hpp"
#include "model/step_options.hpp"

namespace switchsim::model {

// Mesh TensorFlow's MoE1D layer: group_size=1024 (mesh_tensorflow/transformer/moe.py).
inline constexpr std::int64_t kMeshTfGroupSize = 1024;
// MegaBlocks pads each expert's rows to its 128x128 blocks (Gale et al. 2022, MegaBlocks, Section 5).
inline constexpr std::int64_t kMegaBlocksBlockRows = 128;

// The einsum dispatch of one device's tokens: G groups of S tokens, capacity C per group.
struct EinsumShape {
  std::int64_t groups = 0;      // G = ceil(tokens / S)
  std::int64_t group_size = 0;  // S = min(requested group size, tokens)
  std::int64_t experts = 0;     // E
  std::int64_t capacity = 0;    // C per expert per group
  std::int64_t d_model = 0;     // d

  // One einsum over all groups: G * 2*S*E*C*d.
  Flops flops_per_einsum() const;
  // Elements of one [G,S,E,C] mask.
  std::int64_t mask_elements() const;
  // Expert rows this device sends per expert (over its G groups): G * C.
  std::int64_t device_capacity() const { return groups * capacity; }
};

// C per group = expert_capacity(S, E, capacity factor, top-k, min capacity) (routing.hpp).
EinsumShape einsum_shape(std::int64_t tokens, std::int64_t group_size, const config::ModelConfig& model,
                         double capacity_factor);

// Dispatch einsum (forward 1, backward 1) plus building the dispatch mask.
PhaseCost einsum_dispatch(const PhaseCosts& costs, const EinsumShape& s, DType dtype);
// Combine einsum (forward 1, backward 2) plus the combine mask, its gradient and the residual add.
PhaseCost einsum_combine(const PhaseCosts& costs, const EinsumShape& s, DType dtype);

// The compute phases of one Switch layer on the critical device, for the step's dispatch:
// `tokens` routed here, `dispatch_rows` written into the send buffer (scatter / grouped),
// the rows each local expert runs, and `received_rows` combined.
struct SwitchPhaseCosts {
  PhaseCost router, dispatch, experts, combine;
};
SwitchPhaseCosts switch_phase_costs(const PhaseCosts& costs, const StepInputs& inputs, std::int64_t tokens,
                                    std::int64_t dispatch_rows, const std::vector<std::int64_t>& rows_per_local_expert,
                                    std::int64_t received_rows);

// Capacity C per expert per device (the rows each device sends each expert): einsum, G groups
// of C each (G * C); otherwise expert_capacity of the device's tokens.
std::int64_t device_capacity(const StepInputs& inputs, std::int64_t tokens);

}  // namespace switchsim::model
