#include "validate/machine_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "report/validation_errors.hpp"

namespace switchsim::validate {
namespace {
using report::median;

std::optional<double> others_load(const MachineState& s) {
  std::optional<double> others;
  if (s.load_before) others = *s.load_before;
  if (s.load_after) {
    const double after = *s.load_after - static_cast<double>(s.own_threads);
    others = others ? std::max(*others, after) : after;
  }
  return others;
}

bool busy(const MachineState& s) {
  if (s.others_cpu_share) return *s.others_cpu_share > kBusyOthersCpuShare;
  const auto others = others_load(s);
  return others && *others > kBusyShareOfCores * static_cast<double>(s.cores);
}
}  // namespace

std::optional<double> one_minute_load(const std::string& load_average) {
  std::istringstream in(load_average);
  double v = 0;
  if (!(in >> v) || v < 0) return std::nullopt;
  return v;
}

std::vector<double> round_speed_index(const std::vector<std::vector<double>>& samples) {
  if (samples.empty() || samples.front().empty()) throw std::invalid_argument("round_speed_index: no samples");
  const std::size_t rounds = samples.front().size();
  std::vector<double> log_sum(rounds, 0.0);
  for (const auto& shape : samples) {
    if (shape.size() != rounds) throw std::invalid_argument("round_speed_index: shapes with different round counts");
    const double middle = median(shape);
    if (!(middle > 0)) throw std::invalid_argument("round_speed_index: a rate that is not positive");
    for (std::size_t r = 0; r < rounds; ++r) log_sum[r] += std::log(shape[r] / middle);
  }
  std::vector<double> index;
  for (double s : log_sum) index.push_back(std::exp(s / static_cast<double>(samples.size())));
  return index;
}

std::optional<double> others_cpu_share(std::int64_t busy_ticks, std::int64_t elapsed_ticks, double own_cpu_s,
                                       double ticks_per_s) {
  if (elapsed_ticks <= 0 || !(ticks_per_s > 0)) return std::nullopt;
  const double others_s = static_cast<double>(busy_ticks) / ticks_per_s - own_cpu_s;
  return std::max(0.0, others_s) / (static_cast<double>(elapsed_ticks) / ticks_per_s);
}

double round_drift(const std::vector<double>& index) {
  if (index.size() < 2) return 0;
  const auto [lo, hi] = std::minmax_element(index.begin(), index.end());
  return (*hi - *lo) / median(index);
}

std::vector<std::string> machine_warnings(const MachineState& s) {
  std::vector<std::string> out;
  if (busy(s)) {
    if (s.others_cpu_share) {
      out.push_back(fmt::format("machine busy: other work used {:.0f}% of the CPU time during the run (errors are "
                                "not the model's alone)",
                                *s.others_cpu_share * 100));
    } else {
      const double shown = std::max(s.load_before.value_or(0), s.load_after.value_or(0));
      out.push_back(fmt::format("machine busy: load {:.1f} on {} cores (other work shares the CPUs: errors are not "
                                "the model's alone)",
                                shown, s.cores));
    }
  }
  if (s.drift && *s.drift > kDriftLimit)
    out.push_back(fmt::format("machine drifting: the calibration's speed varied {:.0f}% between its rounds (more than "
                              "{:.0f}%)",
                              *s.drift * 100, kDriftLimit * 100));
  return out;
}

nlohmann::json to_json(const MachineState& s) {
  auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"load_1min_before", optional(s.load_before)},
          {"load_1min_after", optional(s.load_after)},
          {"others_cpu_share", optional(s.others_cpu_share)},
          {"cores", s.cores},
          {"own_threads", s.own_threads},
          {"busy", busy(s)},
          {"calibration_round_drift", optional(s.drift)},
          {"drifting", s.drift && *s.drift > kDriftLimit},
          {"warnings", machine_warnings(s)}};
}

}  // namespace switchsim::validate
