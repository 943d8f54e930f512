#pragma once
// The numbers behind the report's "What this says" paragraph, computed from the rows.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/measured_row.hpp"
#include "report/ranking.hpp"
#include "report/result_row.hpp"

namespace switchsim::report {

// Share of the step spent in the two all-to-alls from which we say all-to-all dominates.
inline constexpr double kAlltoallDominanceShare = 0.30;

struct AlltoallOnset {
  std::string cluster;
  // The smallest expert count at which some valid row of this cluster spends at least
  // kAlltoallDominanceShare of its step in all-to-all; that row (the largest share at that
  // count). Absent when no row of the cluster reaches the share.
  std::optional<std::int64_t> experts;
  const ResultRow* row = nullptr;
  double max_share = 0;  // largest share over all valid rows of the cluster
};
// One entry per cluster with valid rows, sorted by cluster name. `row` points into `rows`.
std::vector<AlltoallOnset> alltoall_onsets(const std::vector<ResultRow>& rows);

// median |predicted/measured - 1| over all measured rows; absent without rows.
std::optional<double> median_abs_error(const std::vector<MeasuredFile>& measured);

// The paragraphs themselves. The headline is per cluster the configuration first to the
// quality target (ranking.hpp), never the highest throughput alone.
std::vector<std::string> summarize(const std::vector<ResultRow>& rows, const std::vector<MeasuredFile>& measured,
                                   const std::optional<QualityCurve>& curve = std::nullopt);

}  // namespace switchsim::report
