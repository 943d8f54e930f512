#include "advise/sample_efficiency.hpp"

#include <cmath>

#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/object_reader.hpp"

namespace switchsim::advise {

std::optional<double> SampleEfficiency::speedup(std::int64_t experts, std::int64_t top_k) const {
  if (top_k != 1 && !top2_same_as_top1) return std::nullopt;
  if (points.empty() || experts < points.front().experts || experts > points.back().experts) return std::nullopt;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].experts == experts) return points[i].speedup;
    if (i + 1 < points.size() && points[i + 1].experts > experts) {
      const double x0 = std::log2(static_cast<double>(points[i].experts));
      const double x1 = std::log2(static_cast<double>(points[i + 1].experts));
      const double x = std::log2(static_cast<double>(experts));
      const double w = (x - x0) / (x1 - x0);
      return points[i].speedup + w * (points[i + 1].speedup - points[i].speedup);
    }
  }
  return std::nullopt;
}

std::optional<double> SampleEfficiency::steps_to_quality(std::int64_t experts, std::int64_t top_k) const {
  const auto s = speedup(experts, top_k);
  if (!s) return std::nullopt;
  return dense_steps / *s;
}

std::optional<double> SampleEfficiency::steps_to_quality(std::int64_t experts, std::int64_t top_k,
                                                        std::int64_t batch) const {
  const auto steps = steps_to_quality(experts, top_k);
  if (!steps || batch <= 0) return std::nullopt;
  return *steps * static_cast<double>(batch_tokens) / static_cast<double>(batch);
}

SampleEfficiency parse_sample_efficiency(const nlohmann::json& doc, const std::string& file) {
  config::ObjectReader r(doc, file);
  SampleEfficiency se;
  se.file = file;
  se.family = r.string("family");
  se.quality_target = r.string("quality_target");
  se.dense_steps = r.positive_number("dense_steps");
  se.dense_source = r.string("dense_source");
  se.batch_tokens = r.positive_int("batch_tokens");
  se.batch_source = r.string("batch_source");
  se.interpolation = r.string_or("interpolation", "linear in log2(experts)");
  se.top2_same_as_top1 = r.choice_or("top_k_2", {"same_as_top1", "exclude"}, "exclude") == "same_as_top1";
  se.top2_reason = r.string_or("top_k_2_reason", "");
  se.caveat = r.string_or("caveat", "");
  const auto& points = r.array("points");
  if (points.empty()) r.fail("points", "needs at least one {\"experts\", \"speedup\"} entry");
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::string pointer = r.pointer_to("points") + "/" + std::to_string(i);
    if (!points[i].is_object()) throw config::ConfigError(file, pointer, "expected an object");
    config::ObjectReader p(points[i], file, pointer);
    SampleEfficiencyPoint point;
    point.experts = p.positive_int("experts");
    point.speedup = p.positive_number("speedup");
    point.how_read = p.string("how_read");
    p.finish();
    if (!se.points.empty() && point.experts <= se.points.back().experts)
      p.fail("experts", "expert counts must be strictly increasing, got " + std::to_string(point.experts) +
                            " after " + std::to_string(se.points.back().experts));
    se.points.push_back(point);
  }
  r.finish();
  return se;
}

std::filesystem::path shipped_sample_efficiency(const std::filesystem::path& data_dir, const std::string& family) {
  return data_dir / "models" / "sample-efficiency" / (family + ".json");
}

SampleEfficiency load_sample_efficiency(const std::filesystem::path& path) {
  return parse_sample_efficiency(config::load_json_file(path), path.string());
}

}  // namespace switchsim::advise
