#include "model/dispatch_cost.hpp"

#include <algorithm>
#include <stdexcept>

#include "model/routing.hpp"

namespace switchsim::model {

Flops EinsumShape::flops_per_einsum() const {
  return Flops(2.0 * static_cast<double>(groups) * static_cast<double>(group_size) * static_cast<double>(experts) *
               static_cast<double>(capacity) * static_cast<double>(d_model));
}

std::int64_t EinsumShape::mask_elements() const { return groups * group_size * experts * capacity; }

EinsumShape einsum_shape(std::int64_t tokens, std::int64_t group_size, const config::ModelConfig& model,
                         double capacity_factor) {
  if (group_size <= 0) throw std::invalid_argument("group size must be positive");
  EinsumShape s;
  s.group_size = std::min(group_size, std::max<std::int64_t>(tokens, 1));
  s.groups = (tokens + s.group_size - 1) / s.group_size;
  s.experts = model.experts.value_or(1);
  s.capacity = expert_capacity(s.group_size, s.experts, capacity_factor, model.top_k, model.min_capacity);
  s.d_model = model.d_model;
  return s;
}

PhaseCost einsum_dispatch(const PhaseCosts& costs, const EinsumShape& s, DType dtype) {
  const std::int64_t ec = s.experts * s.capacity;
  const Bytes mask = Bytes(s.mask_elements()) * dtype_bytes(dtype);
  // Forward: expert_in [E*C, d] = mask^T [E*C, S] x x [S, d], per group.
  const PhaseCost forward = costs.gemm(ec, s.d_model, s.group_size, s.groups, dtype);
  // Backward: d x [S, d] = mask [S, E*C] x d expert_in [E*C, d]; no gradient into the mask.
  const PhaseCost dx = costs.gemm(s.group_size, s.d_model, ec, s.groups, dtype);
  PhaseCost c;
  c.forward = forward.forward + costs.kernels().memory_time(mask);  // write the one-hot mask
  c.backward = dx.forward;
  c.forward_flops = forward.forward_flops;
  return c;
}

PhaseCost einsum_combine(const PhaseCosts& costs, const EinsumShape& s, DType dtype) {
  const std::int64_t ec = s.experts * s.capacity;
  const std::int64_t b = dtype_bytes(dtype);
  const Bytes mask = Bytes(s.mask_elements()) * b;
  const Bytes tokens = Bytes(s.groups * s.group_size * s.d_model * b);
  // Forward: y [S, d] = combine [S, E*C] x out [E*C, d], per group; write the combine mask
  // (gates scattered into the one-hot positions); residual add (read two, write one).
  const PhaseCost forward = costs.gemm(s.group_size, s.d_model, ec, s.groups, dtype);
  // Backward: d out [E*C, d] = combine^T [E*C, S] x dy [S, d] and
  //           d combine [S, E*C] = dy [S, d] x out^T [d, E*C]; then d combine is read back and
  //           reduced to the gate gradients; the residual's gradient is read and written.
  const PhaseCost d_out = costs.gemm(ec, s.d_model, s.group_size, s.groups, dtype);
  const PhaseCost d_combine = costs.gemm(s.group_size, ec, s.d_model, s.groups, dtype);
  PhaseCost c;
  c.forward = forward.forward + costs.kernels().memory_time(mask) + costs.kernels().memory_time(tokens * 3);
  c.backward = d_out.forward + d_combine.forward + costs.kernels().memory_time(mask) +
               costs.kernels().memory_time(tokens * 2);
  c.forward_flops = forward.forward_flops;
  return c;
}

SwitchPhaseCosts switch_phase_costs(const PhaseCosts& costs, const StepInputs& in, std::int64_t tokens,
                                    std::int64_t dispatch_rows, const std::vector<std::int64_t>& rows_per_local_expert,
                                    std::int64_t received_rows) {
  SwitchPhaseCosts c;
  c.router = costs.router(tokens);
  switch (in.dispatch) {
    case Dispatch::einsum: {
      const EinsumShape shape = einsum_shape(tokens, in.group_size, in.model, in.capacity_factor);
      c.dispatch = einsum_dispatch(costs, shape, in.model.compute_dtype);
      c.experts = costs.expert_ffn(rows_per_local_expert);
      c.combine = einsum_combine(costs, shape, in.model.compute_dtype);
      break;
    }
    case Dispatch::scatter:
      c.dispatch = costs.dispatch(tokens, dispatch_rows);
      c.experts = costs.expert_ffn(rows_per_local_expert);
      c.combine = costs.combine(tokens, received_rows);
      break;
    case Dispatch::grouped:
      c.dispatch = costs.dispatch(tokens, dispatch_rows);
      c.experts = costs.expert_ffn(rows_per_local_expert, kMegaBlocksBlockRows);
      c.combine = costs.combine(tokens, received_rows);
      break;
  }
  return c;
}

std::int64_t device_capacity(const StepInputs& in, std::int64_t tokens) {
  const auto& m = in.model;
  if (in.dispatch == Dispatch::einsum)
    return einsum_shape(tokens, in.group_size, m, in.capacity_factor).device_capacity();
  return expert_capacity(tokens, m.experts.value_or(1), in.capacity_factor, m.top_k, m.min_capacity);
}

}  // namespace switchsim::model
