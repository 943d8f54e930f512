#include "validate/result.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

#include "ref/measurement.hpp"
#include "report/validation_errors.hpp"

namespace switchsim::validate {

namespace {

double at_or_nan(const nlohmann::json& row, const std::string& key) {
  return row.contains(key) && row[key].is_number() ? row[key].get<double>() : std::nan("");
}

// (p90 - p10) / median of a measured time: how much its repeats spread.
double measured_spread(const nlohmann::json& row, const std::string& name) {
  const std::string key = "measured_" + name + "_time_s";
  const double median = at_or_nan(row, key);
  return (at_or_nan(row, key + "_p90") - at_or_nan(row, key + "_p10")) / median;
}

// The median of the finite values; nullopt when there are none (rows without p10/p90).
std::optional<double> finite_median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }), v.end());
  if (v.empty()) return std::nullopt;
  return report::median(std::move(v));
}

std::string config_name(const nlohmann::json& r) {
  return fmt::format("E{} cf{} T{} d{} f{} k{} {} {}", r["experts"].get<std::int64_t>(), r["capacity_factor"].get<double>(),
                     r["tokens_per_rank"].get<std::int64_t>(), r["d_model"].get<std::int64_t>(),
                     r["d_ff"].get<std::int64_t>(), r.value("top_k", std::int64_t{1}),
                     r.value("padding", std::string("capacity")), r.value("routing", std::string("uniform")));
}

// `--oracle`: per config, the oracle's step error beside its own calibration's fixed grid's
// (composition error alone vs kernel-model interpolation + composition).
std::string oracle_vs_profile(const std::vector<nlohmann::json>& rows) {
  std::string out = "step time, oracle (each config's own shapes calibrated) vs the same calibration's fixed grid alone:\n";
  out += fmt::format("  {:<44} {:>11} {:>10} {:>8} {:>11} {:>8}\n", "config", "measured_ms", "oracle_ms", "err",
                     "grid_ms", "err");
  for (const auto& r : rows)
    out += fmt::format("  {:<44} {:>11.4f} {:>10.4f} {:>+8.3f} {:>11.4f} {:>+8.3f}\n", config_name(r),
                       at_or_nan(r, "measured_step_time_s") * 1e3, at_or_nan(r, "step_time_s") * 1e3,
                       at_or_nan(r, "err_step_time"), at_or_nan(r, "profile_step_time_s") * 1e3,
                       at_or_nan(r, "profile_err_step_time"));
  return out;
}

std::string text_report(const std::vector<nlohmann::json>& rows, const nlohmann::json& summary,
                        const std::string& profile_line) {
  std::string out = profile_line + "\n";
  for (const auto& r : rows) {
    out += fmt::format("experts {}, capacity_factor {}, tokens/rank {}, d_model {}, d_ff {}, {}, ranks {}, capacity {}\n",
                       r["experts"].get<std::int64_t>(), r["capacity_factor"].get<double>(),
                       r["tokens_per_rank"].get<std::int64_t>(), r["d_model"].get<std::int64_t>(),
                       r["d_ff"].get<std::int64_t>(), r["ffn"].get<std::string>(), r["ranks"].get<std::int64_t>(),
                       r["capacity"].get<std::int64_t>());
    out += fmt::format("  {:<18} {:>14} {:>13} {:>9}\n", "phase (fwd+bwd)", "predicted_ms", "measured_ms", "err");
    auto line = [&](const std::string& name, const std::string& err_key) {
      out += fmt::format("  {:<18} {:>14.4f} {:>13.4f} {:>+9.3f}\n", name, at_or_nan(r, name + "_time_s") * 1e3,
                         at_or_nan(r, "measured_" + name + "_time_s") * 1e3, at_or_nan(r, err_key));
    };
    for (auto phase : ref::kLayerPhases) line(std::string(phase), "err_" + std::string(phase));
    line("forward", "err_forward");
    line("backward", "err_backward");
    line("step", "err_step_time");
    if (r.contains("step_time_s_lo"))
      out += fmt::format("  {:<18} {:>14} {:>13} {:>9}\n", "step band",
                         fmt::format("{:.4f}..{:.4f}", r["step_time_s_lo"].get<double>() * 1e3,
                                     r["step_time_s_hi"].get<double>() * 1e3),
                         "", r["measured_within_band"].get<bool>() ? "inside" : "outside");
  }
  out += fmt::format("step time over {} configs: median |err| {:.3f}, max |err| {:.3f} ({})\n",
                     summary["configs"].get<std::size_t>(), summary["median_abs_err_step_time"].get<double>(),
                     summary["max_abs_err_step_time"].get<double>(), summary["max_abs_err_config"].get<std::string>());
  if (summary.contains("median_err_step_time")) {
    const double shared = summary["median_err_step_time"].get<double>();
    const double own = summary["median_abs_deviation_err_step_time"].get<double>();
    out += fmt::format("  shared by every config: median err {:+.3f} (predicted {}); each config's own: median |err - "
                       "median err| {:.3f}\n",
                       shared, shared >= 0 ? "slow" : "fast", own);
    if (std::fabs(shared) > own)
      out += "  most of the error is shared: something common to every config (a machine speed the calibration and "
             "the measurement met differently, or a cost every layer pays), not the configs' own shapes\n";
  }
  if (summary.contains("measured_within_band"))
    out += fmt::format("measured step time inside the predicted band (calibrated p10..p90 rates): {} of {}\n",
                       summary["measured_within_band"].get<std::size_t>(), summary["configs"].get<std::size_t>());
  std::string phases;
  for (const auto& [phase, median] : summary["median_abs_err_phase"].items())
    phases += fmt::format(" {} {:.3f}", phase, median.get<double>());
  out += "median |err| per phase:" + phases + "\n";
  if (summary.contains("measured_spread_phase")) {
    std::string spreads;
    for (const auto& [phase, spread] : summary["measured_spread_phase"].items())
      spreads += fmt::format(" {} {:.3f}", phase, spread.get<double>());
    out += fmt::format("measured spread (p90 - p10) / median, median over configs: step {:.3f};{}\n",
                       summary["measured_spread_step"].get<double>(), spreads);
  }
  if (summary.contains("profile_median_abs_err_step_time")) out += oracle_vs_profile(rows);
  if (summary.contains("profile_median_abs_err_step_time"))
    out += fmt::format("the fixed grid alone (interpolated, as a saved profile predicts): median |err| {:.3f}, max |err| {:.3f}\n",
                       summary["profile_median_abs_err_step_time"].get<double>(),
                       summary["profile_max_abs_err_step_time"].get<double>());
  return out;
}

}  // namespace

nlohmann::json summarize(const std::vector<nlohmann::json>& rows) {
  std::vector<double> step;
  for (const auto& r : rows) step.push_back(at_or_nan(r, "err_step_time"));
  const auto s = report::summarize_errors(step);
  const auto& worst = rows[s.max_index];
  nlohmann::json j{{"configs", s.count},
                   {"median_abs_err_step_time", s.median_abs},
                   {"median_err_step_time", s.median},
                   {"median_abs_deviation_err_step_time", s.median_abs_deviation},
                   {"max_abs_err_step_time", s.max_abs},
                   {"max_abs_err_config", fmt::format("experts {} cf {} tokens/rank {}", worst["experts"].get<std::int64_t>(),
                                                      worst["capacity_factor"].get<double>(),
                                                      worst["tokens_per_rank"].get<std::int64_t>())}};
  nlohmann::json per_phase = nlohmann::json::object();
  for (auto phase : ref::kLayerPhases) {
    std::vector<double> errs;
    for (const auto& r : rows) errs.push_back(at_or_nan(r, "err_" + std::string(phase)));
    per_phase[std::string(phase)] = report::summarize_errors(errs).median_abs;
  }
  j["median_abs_err_phase"] = per_phase;
  // How much the measurement itself spreads, per phase: the floor under any prediction's error.
  std::vector<double> step_spread;
  for (const auto& r : rows) step_spread.push_back(measured_spread(r, "step"));
  if (const auto step = finite_median(step_spread)) {
    nlohmann::json spreads = nlohmann::json::object();
    for (auto phase : ref::kLayerPhases) {
      std::vector<double> v;
      for (const auto& r : rows) v.push_back(measured_spread(r, std::string(phase)));
      if (const auto m = finite_median(v)) spreads[std::string(phase)] = *m;
    }
    j["measured_spread_step"] = *step;
    j["measured_spread_phase"] = spreads;
  }
  if (std::all_of(rows.begin(), rows.end(), [](const nlohmann::json& r) { return r.contains("profile_err_step_time"); })) {
    std::vector<double> errs;
    for (const auto& r : rows) errs.push_back(at_or_nan(r, "profile_err_step_time"));
    const auto p = report::summarize_errors(errs);
    j["profile_median_abs_err_step_time"] = p.median_abs;
    j["profile_max_abs_err_step_time"] = p.max_abs;
  }
  if (std::all_of(rows.begin(), rows.end(), [](const nlohmann::json& r) { return r.contains("measured_within_band"); }))
    j["measured_within_band"] = std::count_if(rows.begin(), rows.end(), [](const nlohmann::json& r) {
      return r["measured_within_band"].get<bool>();
    });
  return j;
}

nlohmann::json to_json(const ValidationResult& r) {
  return nlohmann::json{{"context", r.context}, {"summary", r.summary}, {"results", r.rows}};
}

std::string to_text(const ValidationResult& r) {
  std::string warnings;
  if (r.context.contains("machine"))
    for (const auto& w : r.context["machine"]["warnings"]) warnings += "warning: " + w.get<std::string>() + "\n";
  return warnings + text_report(r.rows, r.summary, r.profile_line);
}

}  // namespace switchsim::validate
