#pragma once
// Sample efficiency of a model family: steps to reach a fixed quality, relative to the dense
// baseline, per expert count (models/sample-efficiency/<family>.json). Speedups between listed
// counts are interpolated linearly in log2(experts); outside the listed range there is no
// estimate. Multiplying steps by a simulated step time gives an *estimated* time to quality.
//
// The curves were measured at one global batch (`batch_tokens`, stated in the file). At another
// batch B the steps are scaled to keep the tokens to quality constant,
//   steps(B) = steps(B_file) x B_file / B,
// the perfect-scaling regime of McCandlish et al. 2018 ("An Empirical Model of Large-Batch
// Training", §2: below the critical batch size, doubling the batch halves the steps). Above the
// critical batch it is optimistic (steps fall more slowly), so any B != B_file is reported as an
// extrapolation.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace switchsim::advise {

struct SampleEfficiencyPoint {
  std::int64_t experts = 1;
  double speedup = 1.0;  // dense steps / steps of this expert count, to the same quality
  std::string how_read;
};

struct SampleEfficiency {
  std::string family;
  std::string quality_target;
  double dense_steps = 0;  // steps the dense baseline needs to reach the target
  std::string dense_source;
  std::int64_t batch_tokens = 0;  // the global batch (tokens a step) the curves were measured at
  std::string batch_source;
  std::string interpolation;
  bool top2_same_as_top1 = true;  // false: top-2 points get no estimate
  std::string top2_reason;
  std::vector<SampleEfficiencyPoint> points;  // sorted by experts, experts distinct
  std::string caveat;
  std::string file;

  std::optional<double> speedup(std::int64_t experts, std::int64_t top_k) const;
  std::optional<double> steps_to_quality(std::int64_t experts, std::int64_t top_k) const;  // at batch_tokens
  // At another global batch: scaled by batch_tokens / batch (see above).
  std::optional<double> steps_to_quality(std::int64_t experts, std::int64_t top_k, std::int64_t batch) const;
  bool extrapolated(std::int64_t batch) const { return batch != batch_tokens; }
};

// models/sample-efficiency/<family>.json under the data directory (may not exist).
std::filesystem::path shipped_sample_efficiency(const std::filesystem::path& data_dir, const std::string& family);

// Reads and validates the file (config::ObjectReader: unknown fields, non-positive values,
// unsorted or repeated expert counts are config::ConfigError naming file and pointer).
SampleEfficiency load_sample_efficiency(const std::filesystem::path& path);
SampleEfficiency parse_sample_efficiency(const nlohmann::json& doc, const std::string& file);

}  // namespace switchsim::advise
