#pragma once
// Activation rematerialization: which activations of a microbatch stay in memory until the
// backward pass, and which are recomputed there instead (extra forward work in the backward).
//   none       every activation the backward reads is saved (the elements counted below).
//   attention  selective recomputation (Korthikanti et al. 2022, "Reducing Activation
//              Recomputation in Large Transformer Models", Section 4.2): the attention scores
//              and probabilities ([heads, q, k] per sequence, quadratic in the length) are
//              dropped and recomputed (scores GEMM, softmax, probs x V) before the attention's
//              backward.
//   full       (Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"; jax.checkpoint
//              / Megatron --recompute-granularity full): only each layer's input [tokens, d] is
//              saved; the whole layer's forward (a Switch layer's all-to-alls included) runs again
//              before its backward, so one layer's activations are live at a time.
// Saved activations per token and layer, in elements (kernels in phase_costs.cpp):
//   attention  2d (layer-norm input, output) + 5 inner (q, k, v, context, projection input)
//              + heads * context (probabilities; dropped by attention/full)
//   FFN        d + 2 * up * d_ff (input, up projections, activation)
//   Switch     per expert row: d + 2*up*d_ff + 2d (dispatched and combined rows); per token
//              E router probabilities in fp32; einsum dispatch: the [G,S,E,C] dispatch and
//              combine masks.

#include <cstdint>
#include <string>

#include "model/step_inputs.hpp"

namespace switchsim::model {

struct MemoryShape;

// Saved activation bytes of one microbatch on one device under `remat`.
Bytes activation_bytes(const StepInputs& inputs, const MemoryShape& shape, Remat remat);

}  // namespace switchsim::model
