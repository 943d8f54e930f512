#pragma once
// Parallel layout of the paper's §5: N = dp x tp devices (data x model parallel). Experts are
// sharded over the data axis: ep groups of the data axis each hold E / ep experts; when
// ep < dp each expert is replicated dp / ep times and its gradients are all-reduced.
// Device d has tp rank d % tp and data rank d / tp (model-parallel peers are adjacent, so
// they sit inside one node on real clusters).

#include <cstdint>
#include <string>

namespace switchsim::model {

struct ParallelLayout {
  std::int64_t dp = 1;
  std::int64_t tp = 1;
  std::int64_t ep = 1;

  std::int64_t devices() const { return dp * tp; }
  std::int64_t experts_per_device(std::int64_t experts) const { return experts / ep; }
  std::int64_t expert_replicas() const { return dp / ep; }
  std::string text() const;
};

// Parses "dp=8,tp=1,ep=8" (any subset, any order). Missing dp = devices / tp; missing ep =
// min(experts, dp), which requires experts and dp to divide one another. Throws
// std::invalid_argument with a message naming the field for any inconsistency: dp*tp != devices,
// ep not dividing dp, experts not divisible by ep.
ParallelLayout parse_layout(const std::string& text, std::int64_t devices, std::int64_t experts);

}  // namespace switchsim::model
