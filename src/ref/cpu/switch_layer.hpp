#pragma once
// A real Switch layer on one MPI rank, forward and backward, fp32:
//   out = x + sum over kept assignments of gate * FFN_expert(x)
// (dropped tokens pass through the residual: out = x). Experts are sharded over the ranks of
// `comm` (E_local = E / ranks, expert e lives on rank e / E_local); the router is replicated.
// Phases follow ref::kLayerPhases; each call adds the wall time of each phase (forward and
// backward separately) to a PhaseTimes. Collectives are preceded by an untimed MPI_Barrier so
// that load imbalance shows in the phase that caused it, not inside the all-to-all.

#include <mpi.h>

#include <array>
#include <cstdint>
#include <vector>

#include "ref/cpu/expert_ffn.hpp"
#include "ref/cpu/routing.hpp"
#include "ref/measurement.hpp"

namespace switchsim::ref::cpu {

enum class Phase : std::size_t { router = 0, dispatch, alltoall_dispatch, expert_ffn, alltoall_combine, combine };
inline constexpr std::size_t kPhaseCount = 6;

struct PhaseTimes {
  std::array<double, kPhaseCount> forward_s{};
  std::array<double, kPhaseCount> backward_s{};
};

// Throws std::invalid_argument with a one-line reason when the spec cannot be run
// (experts not divisible by ranks, capacity factor <= 0, no tokens, ...).
void validate_spec(const LayerSpec& spec);

// Aux-loss weight alpha (Switch paper: 0.01).
inline constexpr double kAuxAlpha = 0.01;

class SwitchLayer {
 public:
  // The communicator's size must equal spec.ranks. Weights are drawn from spec.seed, each
  // expert's from its global index, so they do not depend on the number of ranks.
  SwitchLayer(const LayerSpec& spec, MPI_Comm comm);

  // x is [T, d] (T = spec.tokens_per_rank). Returns out [T, d].
  std::vector<float> forward(const std::vector<float>& x, PhaseTimes* times = nullptr);
  // Gradient of L = sum(dout * out) + aux_loss (if spec.aux_loss) with respect to x; the
  // weight gradients are left in router_grad() and expert_grads(). Call after forward().
  std::vector<float> backward(const std::vector<float>& dout, PhaseTimes* times = nullptr);

  const RoutingPlan& plan() const { return plan_; }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t local_experts() const { return local_experts_; }
  int rank() const { return rank_; }

  std::vector<float>& router_weights() { return router_; }  // [d, E]
  std::vector<ExpertWeights>& expert_weights() { return experts_; }  // local experts
  const std::vector<float>& router_grad() const { return router_grad_; }
  const std::vector<ExpertWeights>& expert_grads() const { return expert_grads_; }

 private:
  struct Segment {
    std::int64_t offset = 0;  // in rows
    std::int64_t rows = 0;
  };
  void plan_segments();
  // The row of a kept assignment in a buffer in send layout ([E, C, d] or its dropless form).
  std::int64_t send_row(const Assignment& a) const;
  // Zeroes the capacity padding of a buffer in send layout: rows past each expert's kept tokens.
  void zero_padding_rows(std::vector<float>& buffer) const;
  void exchange(const std::vector<float>& send, std::vector<float>& recv, bool to_experts);
  void gather_expert_rows(const std::vector<float>& recv, std::int64_t local, std::vector<float>& out) const;
  void scatter_expert_rows(const std::vector<float>& rows, std::int64_t local, std::vector<float>& recv) const;

  LayerSpec spec_;
  MPI_Comm comm_;
  int rank_ = 0;
  int ranks_ = 1;
  std::int64_t local_experts_ = 1;
  std::int64_t capacity_ = 0;
  bool dropless_ = false;
  ExpertShape shape_;
  std::vector<float> bias_;

  std::vector<float> router_;
  std::vector<float> router_grad_;
  std::vector<ExpertWeights> experts_;
  std::vector<ExpertWeights> expert_grads_;

  // Forward state kept for backward.
  std::vector<float> x_;
  std::vector<float> probs_;
  RoutingPlan plan_;
  std::vector<Segment> send_segments_;  // per global expert, rows in the [E, C, d] send buffer
  std::vector<Segment> recv_segments_;  // per (source rank, local expert), rows in recv buffer
  std::int64_t send_rows_ = 0;
  std::int64_t recv_rows_ = 0;
  std::vector<ExpertActivations> acts_;
  std::vector<float> combine_in_;  // expert outputs back on this rank, send-buffer layout

  // Buffers reused by every iteration (sized on first use), as a real implementation keeps
  // its all-to-all buffers and workspaces: the timed phases then measure the work, not page
  // faults and zero-filling of fresh allocations.
  std::vector<float> send_;         // [E, C, d] dispatch buffer; backward: gradients coming back
  std::vector<float> recv_;         // rows received by the local experts; backward: their gradients
  std::vector<float> expert_out_;   // local experts' outputs (backward: input gradients), recv layout
  std::vector<float> expert_rows_;  // one expert's output rows (backward: its incoming gradients)
  std::vector<float> expert_dx_;    // one expert's input gradients
  ExpertScratch scratch_;
  std::vector<float> out_;
  std::vector<float> dx_;
  std::vector<float> dcombine_;
  std::vector<float> dgate_;
  std::vector<float> dlogits_;
};

}  // namespace switchsim::ref::cpu
