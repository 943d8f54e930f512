#pragma once
// The report's headline: which configuration reaches a target quality first on each cluster.
//
//   time_to_quality_s = steps_to_quality(experts, top_k) x step_time_s
//
// steps_to_quality comes from published sample-efficiency curves (advise's
// models/sample-efficiency/<family>.json, Fedus et al. 2021 Figure 4; the caller passes them in
// as a QualityCurve, so this module needs no advise/). One ranking per cluster and routing skew
// (the data decides the skew, not the user: each skew is a scenario to plan for). Only points
// that are valid, fit in memory and drop at most QualityCurve::max_dropped_frac of their tokens
// are ranked: the curves were measured on training that drops few tokens, and a point that
// drops more would be credited with a quality it does not reach.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/document.hpp"
#include "report/result_row.hpp"

namespace switchsim::report {

struct QualityCurve {
  std::string family;          // e.g. "switch-base"
  std::string quality_target;  // in words
  std::string source;          // the file the curve came from
  std::string caveat;          // the file's own caveats, in words
  std::string top2_note;       // how top-2 points are credited (empty: not credited)
  // Steps to the target for a point; nullopt outside the curve (no extrapolation).
  std::function<std::optional<double>(std::int64_t experts, std::int64_t top_k)> steps_to_quality;
  double max_dropped_frac = 0.01;  // advise's default limit
};

struct RankedConfig {
  const ResultRow* row = nullptr;
  std::optional<double> time_to_quality_s;  // absent without a curve
};

struct Ranking {
  std::string cluster;
  std::string routing;
  std::vector<RankedConfig> ranked;  // best first
  std::int64_t too_many_drops = 0;   // points left out, and why
  std::int64_t outside_curve = 0;
  std::int64_t not_fitting = 0;      // invalid or out of memory
};

// One ranking per (cluster, routing), sorted by both names. With `curve`: by time to quality,
// ties by tokens/s; without: by step time (the report then says that throughput is not quality).
std::vector<Ranking> rank_configurations(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve);


// The headline section "Which configuration?": per cluster and routing, the first `shown` ranked
// configurations with time to quality, step time, tokens/s, dropped fraction and memory, and
// the caveats in words.
Section ranking_section(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve,
                        std::size_t shown = 8);

// One sentence per cluster and routing for the summary: its first-ranked configuration.
std::vector<std::string> ranking_sentences(const std::vector<ResultRow>& rows, const std::optional<QualityCurve>& curve);

}  // namespace switchsim::report
