#include "report/findings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "report/number_text.hpp"
#include "report/validation_errors.hpp"

namespace switchsim::report {
namespace {

std::string short_name(const ResultRow& r) {
  return fmt::format("{} E={} cf={} on {}{}", r.model, r.experts, factor_text(r.capacity_factor), r.cluster,
                     r.routing == "uniform" ? "" : " (" + r.routing + ")");
}

}  // namespace

std::vector<AlltoallOnset> alltoall_onsets(const std::vector<ResultRow>& rows) {
  std::map<std::string, AlltoallOnset> by_cluster;
  for (const auto& r : rows) {
    if (!r.valid || !r.outputs) continue;
    auto& onset = by_cluster[r.cluster];
    onset.cluster = r.cluster;
    const double share = r.outputs->alltoall_share();
    onset.max_share = std::max(onset.max_share, share);
    if (share < kAlltoallDominanceShare) continue;
    const bool earlier = !onset.experts || r.experts < *onset.experts;
    const bool same_but_larger =
        onset.experts && r.experts == *onset.experts && share > onset.row->outputs->alltoall_share();
    if (earlier || same_but_larger) {
      onset.experts = r.experts;
      onset.row = &r;
    }
  }
  std::vector<AlltoallOnset> out;
  for (auto& [cluster, onset] : by_cluster) out.push_back(onset);
  return out;
}

std::optional<double> median_abs_error(const std::vector<MeasuredFile>& measured) {
  std::vector<double> errs;
  for (const auto& f : measured)
    for (const auto& r : f.results) errs.push_back(r.error());
  if (errs.empty()) return std::nullopt;
  return summarize_errors(errs).median_abs;
}

std::vector<std::string> summarize(const std::vector<ResultRow>& rows, const std::vector<MeasuredFile>& measured,
                                   const std::optional<QualityCurve>& curve) {
  std::vector<std::string> out;
  std::size_t valid = 0, oom = 0;
  for (const auto& r : rows) {
    valid += r.valid ? 1 : 0;
    oom += (r.valid && r.outputs && r.outputs->oom) ? 1 : 0;
  }
  out.push_back(fmt::format("{} points: {} valid, {} invalid, {} out of memory.", rows.size(), valid,
                            rows.size() - valid, oom));

  for (auto& sentence : ranking_sentences(rows, curve)) out.push_back(std::move(sentence));

  for (const auto& onset : alltoall_onsets(rows)) {
    if (onset.experts) {
      out.push_back(fmt::format("On {}, all-to-all takes {} or more of the step from {} experts on ({} at capacity "
                                "factor {}, {} routing).",
                                onset.cluster, percent_text(kAlltoallDominanceShare), *onset.experts,
                                percent_text(onset.row->outputs->alltoall_share()),
                                factor_text(onset.row->capacity_factor), onset.row->routing));
    } else {
      out.push_back(fmt::format("On {}, all-to-all stays below {} of the step (at most {}).", onset.cluster,
                                percent_text(kAlltoallDominanceShare), percent_text(onset.max_share)));
    }
  }

  std::string oom_list;
  for (const auto& r : rows)
    if (r.valid && r.outputs && r.outputs->oom)
      oom_list += fmt::format("{}{} ({} > {})", oom_list.empty() ? "" : "; ", short_name(r),
                              gib_text(r.outputs->mem_per_device_bytes), gib_text(r.outputs->hbm_bytes));
  if (!oom_list.empty()) out.push_back("Out of memory: " + oom_list + ".");

  std::string invalid_list;
  for (const auto& r : rows)
    if (!r.valid) invalid_list += fmt::format("{}{}: {}", invalid_list.empty() ? "" : "; ", short_name(r), r.invalid_reason);
  if (!invalid_list.empty()) out.push_back("Invalid: " + invalid_list + ".");

  if (const auto median = median_abs_error(measured)) {
    std::size_t n = 0, within10 = 0, within25 = 0;
    for (const auto& f : measured)
      for (const auto& r : f.results) {
        ++n;
        within10 += std::fabs(r.error()) <= 0.10 + 1e-12 ? 1 : 0;
        within25 += std::fabs(r.error()) <= 0.25 + 1e-12 ? 1 : 0;
      }
    out.push_back(fmt::format("Against {} measured points, the median |predicted/measured - 1| is {} ({} within "
                              "±10%, {} within ±25%).",
                              n, percent_text(*median), within10, within25));
  }
  return out;
}

}  // namespace switchsim::report
