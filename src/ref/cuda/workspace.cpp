#include "ref/cuda/workspace.hpp"

#include <stdexcept>

#include "ref/cuda/launch_geometry.hpp"

namespace switchsim::ref::cuda {

std::optional<TensorBytes> Workspace::find(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return t;
  return std::nullopt;
}

Workspace layer_workspace(const LayerShape& s) {
  if (s.tokens <= 0 || s.d_model <= 0 || s.d_ff <= 0 || s.experts <= 0 || s.ranks <= 0 || s.top_k <= 0 ||
      s.capacity < 0 || s.experts % s.ranks != 0 || s.top_k > s.experts)
    throw std::invalid_argument("layer_workspace: inconsistent layer shape");
  constexpr int bf16 = 2;
  constexpr int f32 = 4;
  constexpr int i32 = 4;
  const std::int64_t T = s.tokens, d = s.d_model, f = s.d_ff, E = s.experts, El = s.experts_per_rank();
  const std::int64_t A = s.assignments(), Rd = s.dispatch_rows(), Rx = s.expert_rows();
  Workspace w;
  auto add = [&w](std::string name, std::vector<std::int64_t> shape, int element_bytes) {
    std::int64_t n = element_bytes;
    for (const auto x : shape) n *= x;
    TensorBytes t{std::move(name), std::move(shape), element_bytes, n, w.total_bytes};
    w.total_bytes += (n + kWorkspaceAlignment - 1) / kWorkspaceAlignment * kWorkspaceAlignment;
    w.tensors.push_back(std::move(t));
  };
  const auto chunks = scan_launch(A, E).chunks;
  // Forward.
  add("x", {T, d}, bf16);
  add("router_w", {d, E}, f32);
  add("router_bias", {E}, f32);
  add("logits", {T, E}, f32);
  add("probs", {T, E}, f32);
  add("expert_index", {A}, i32);
  add("gate", {A}, f32);
  add("position", {A}, i32);
  add("token_slot", {A}, i32);
  add("slot_assignment", {Rd}, i32);
  add("chunk_counts", {chunks, E}, i32);
  add("expert_counts", {E}, i32);
  add("expert_offsets", {E + 1}, i32);
  add("nonfinite_tokens", {1}, i32);  // tokens whose softmax was not finite (kernels.hpp: softmax_topk)
  add("dispatched", {Rd, d}, bf16);
  add("expert_in", {Rx, d}, bf16);
  add("w1", {El, d, f}, bf16);
  if (s.geglu) add("w3", {El, d, f}, bf16);
  add("w2", {El, f, d}, bf16);
  add("act_a", {Rx, f}, bf16);
  if (s.geglu) add("act_b", {Rx, f}, bf16);
  add("hidden", {Rx, f}, bf16);
  add("expert_out", {Rx, d}, bf16);
  add("returned", {Rd, d}, bf16);
  add("y", {T, d}, bf16);
  if (s.backward) {
    add("dy", {T, d}, bf16);
    add("d_returned", {Rd, d}, bf16);
    add("d_expert_out", {Rx, d}, bf16);
    add("d_hidden", {Rx, f}, bf16);
    add("d_act_a", {Rx, f}, bf16);
    if (s.geglu) add("d_act_b", {Rx, f}, bf16);
    add("d_expert_in", {Rx, d}, bf16);
    add("d_dispatched", {Rd, d}, bf16);
    add("dx", {T, d}, bf16);
    add("d_gate", {A}, f32);
    add("d_logits", {T, E}, f32);
    add("d_router_w", {d, E}, f32);
    add("first_counts", {E}, i32);  // first choices per expert, for the aux-loss gradient
    add("dw1", {El, d, f}, bf16);
    if (s.geglu) add("dw3", {El, d, f}, bf16);
    add("dw2", {El, f, d}, bf16);
  }
  if (s.einsum_baseline) {
    // Mesh TensorFlow's dense formulation: dispatch_mask and combine_weights [T, E, C].
    add("dispatch_mask", {T, E * s.capacity}, bf16);
    add("combine_weights", {T, E * s.capacity}, bf16);
    if (s.backward) add("d_combine_weights", {T, E * s.capacity}, bf16);
  }
  return w;
}

}  // namespace switchsim::ref::cuda
