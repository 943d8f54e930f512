#pragma once
// Routing bookkeeping of one Switch layer, shared by the CUDA launch code and the CPU tests:
// capacity, per-expert offsets for dropless grouped GEMMs, and the alltoallv plan per rank.
// Plain C++ (no CUDA), so every number here is tested without a GPU.

#include <cstdint>
#include <span>
#include <vector>

#include "moe/capacity.hpp"

namespace switchsim::ref::cuda {

// Expert capacity: moe::expert_capacity (moe/capacity.hpp), included here for the callers.

// Exclusive prefix sum: offsets[e] = sum of counts[0..e), offsets[E] = total (size E + 1).
std::vector<std::int64_t> exclusive_offsets(std::span<const std::int64_t> counts);

// Per-expert counts after capacity: min(count, C) each.
std::vector<std::int64_t> clamp_counts(std::span<const std::int64_t> counts, std::int64_t capacity);

// Fraction of the token-to-expert assignments dropped by capacity.
double dropped_fraction(std::span<const std::int64_t> counts, std::int64_t capacity);

// Switch auxiliary load-balancing loss alpha * E * sum_i f_i * P_i (Fedus et al. eq. 4):
// f_i = fraction of tokens whose top-1 is expert i, P_i = mean router probability of i.
// alpha = 10^-2, the paper's choice (section 2.2), as the CPU reference uses.
inline constexpr double kAuxAlpha = 0.01;
double aux_loss(std::span<const std::int64_t> top1_counts, std::span<const double> mean_probs, double alpha = kAuxAlpha);

// The all-to-all of one rank in rows (tokens) and elements. Experts are sharded contiguously:
// rank r owns experts [r*E_local, (r+1)*E_local). Everything in tokens; multiply by d for
// elements and by the element size for bytes.
struct AlltoallvPlan {
  std::vector<std::int64_t> send_counts;  // [ranks] tokens this rank sends to each rank
  std::vector<std::int64_t> send_displs;  // [ranks] token offset in the send buffer
  std::vector<std::int64_t> recv_counts;  // [ranks] tokens this rank receives from each rank
  std::vector<std::int64_t> recv_displs;  // [ranks]
  std::int64_t send_total = 0;
  std::int64_t recv_total = 0;
};

// counts_by_rank[s][e] = tokens rank s routes to global expert e (after capacity).
// Dropless: the send buffer of rank s is ordered by expert, so its segment for rank r is the
// experts of r in order; the receive buffer is ordered by source rank, then local expert.
AlltoallvPlan alltoallv_plan(const std::vector<std::vector<std::int64_t>>& counts_by_rank, std::int64_t rank);

// Capacity-padded all-to-all: every rank sends E_local * C tokens to every rank.
AlltoallvPlan alltoall_even_plan(std::int64_t ranks, std::int64_t experts_per_rank, std::int64_t capacity);

// Row offsets of each (source rank, local expert) group in the receive buffer of one rank,
// and its size: what the grouped expert GEMM of a dropless layer runs on.
struct ExpertGroup {
  std::int64_t source_rank = 0;
  std::int64_t local_expert = 0;
  std::int64_t row_offset = 0;
  std::int64_t rows = 0;
};
std::vector<ExpertGroup> received_groups(const std::vector<std::vector<std::int64_t>>& counts_by_rank,
                                         std::int64_t rank);

}  // namespace switchsim::ref::cuda
