#include "ref/cuda/routing_plan.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace switchsim::ref::cuda {

std::vector<std::int64_t> exclusive_offsets(std::span<const std::int64_t> counts) {
  std::vector<std::int64_t> offsets(counts.size() + 1, 0);
  for (std::size_t e = 0; e < counts.size(); ++e) offsets[e + 1] = offsets[e] + counts[e];
  return offsets;
}

std::vector<std::int64_t> clamp_counts(std::span<const std::int64_t> counts, std::int64_t capacity) {
  std::vector<std::int64_t> out(counts.size());
  for (std::size_t e = 0; e < counts.size(); ++e) out[e] = std::min(counts[e], capacity);
  return out;
}

double dropped_fraction(std::span<const std::int64_t> counts, std::int64_t capacity) {
  std::int64_t total = 0;
  std::int64_t dropped = 0;
  for (const auto c : counts) {
    total += c;
    dropped += std::max<std::int64_t>(0, c - capacity);
  }
  return total == 0 ? 0.0 : static_cast<double>(dropped) / static_cast<double>(total);
}

double aux_loss(std::span<const std::int64_t> top1_counts, std::span<const double> mean_probs, double alpha) {
  if (top1_counts.size() != mean_probs.size()) throw std::invalid_argument("aux_loss: size mismatch");
  std::int64_t tokens = 0;
  for (const auto c : top1_counts) tokens += c;
  if (tokens == 0) return 0.0;
  double sum = 0;
  for (std::size_t e = 0; e < top1_counts.size(); ++e)
    sum += static_cast<double>(top1_counts[e]) / static_cast<double>(tokens) * mean_probs[e];
  return alpha * static_cast<double>(top1_counts.size()) * sum;
}

namespace {
void check_square(const std::vector<std::vector<std::int64_t>>& counts_by_rank, std::int64_t rank) {
  const auto ranks = static_cast<std::int64_t>(counts_by_rank.size());
  if (ranks == 0 || rank < 0 || rank >= ranks) throw std::invalid_argument("alltoallv_plan: rank out of range");
  const auto experts = counts_by_rank.front().size();
  for (const auto& row : counts_by_rank)
    if (row.size() != experts) throw std::invalid_argument("alltoallv_plan: ragged counts");
  if (experts % counts_by_rank.size() != 0)
    throw std::invalid_argument("alltoallv_plan: experts must be a multiple of ranks");
}
}  // namespace

AlltoallvPlan alltoallv_plan(const std::vector<std::vector<std::int64_t>>& counts_by_rank, std::int64_t rank) {
  check_square(counts_by_rank, rank);
  const auto ranks = counts_by_rank.size();
  const auto local = counts_by_rank.front().size() / ranks;
  AlltoallvPlan plan;
  plan.send_counts.assign(ranks, 0);
  plan.recv_counts.assign(ranks, 0);
  plan.send_displs.assign(ranks, 0);
  plan.recv_displs.assign(ranks, 0);
  const auto& mine = counts_by_rank[static_cast<std::size_t>(rank)];
  for (std::size_t r = 0; r < ranks; ++r) {
    for (std::size_t e = 0; e < local; ++e) {
      plan.send_counts[r] += mine[r * local + e];
      plan.recv_counts[r] += counts_by_rank[r][static_cast<std::size_t>(rank) * local + e];
    }
  }
  for (std::size_t r = 1; r < ranks; ++r) {
    plan.send_displs[r] = plan.send_displs[r - 1] + plan.send_counts[r - 1];
    plan.recv_displs[r] = plan.recv_displs[r - 1] + plan.recv_counts[r - 1];
  }
  plan.send_total = plan.send_displs.back() + plan.send_counts.back();
  plan.recv_total = plan.recv_displs.back() + plan.recv_counts.back();
  return plan;
}

AlltoallvPlan alltoall_even_plan(std::int64_t ranks, std::int64_t experts_per_rank, std::int64_t capacity) {
  if (ranks <= 0 || experts_per_rank <= 0 || capacity < 0) throw std::invalid_argument("alltoall_even_plan");
  AlltoallvPlan plan;
  const std::int64_t block = experts_per_rank * capacity;
  for (std::int64_t r = 0; r < ranks; ++r) {
    plan.send_counts.push_back(block);
    plan.recv_counts.push_back(block);
    plan.send_displs.push_back(r * block);
    plan.recv_displs.push_back(r * block);
  }
  plan.send_total = plan.recv_total = ranks * block;
  return plan;
}

std::vector<ExpertGroup> received_groups(const std::vector<std::vector<std::int64_t>>& counts_by_rank,
                                         std::int64_t rank) {
  check_square(counts_by_rank, rank);
  const auto ranks = counts_by_rank.size();
  const auto local = counts_by_rank.front().size() / ranks;
  std::vector<ExpertGroup> groups;
  std::int64_t offset = 0;
  for (std::size_t s = 0; s < ranks; ++s) {
    for (std::size_t e = 0; e < local; ++e) {
      const auto rows = counts_by_rank[s][static_cast<std::size_t>(rank) * local + e];
      groups.push_back(ExpertGroup{static_cast<std::int64_t>(s), static_cast<std::int64_t>(e), offset, rows});
      offset += rows;
    }
  }
  return groups;
}

}  // namespace switchsim::ref::cuda
