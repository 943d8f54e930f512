#include "config/device_config.hpp"

#include "config/object_reader.hpp"

namespace switchsim::config {

namespace {
// Reads "sources": {field: text}; every key must name a field of the enclosing object.
std::map<std::string, std::string> read_sources(ObjectReader& parent, std::initializer_list<std::string_view> fields) {
  std::map<std::string, std::string> out;
  auto reader = parent.optional_object("sources");
  if (!reader) return out;
  for (std::string_view field : fields) {
    if (auto text = reader->optional_string(field)) out.emplace(std::string(field), *text);
  }
  reader->finish();
  return out;
}
}  // namespace

DeviceConfig parse_device(const nlohmann::json& object, const std::string& file, const std::string& pointer) {
  ObjectReader r(object, file, pointer);
  DeviceConfig d;
  d.name = r.string("name");
  d.kind = r.choice("kind", {"gpu", "tpu_core", "cpu"});
  d.compute_units = r.positive_int("compute_units");
  {
    auto peaks = r.object("peak_tflops");
    d.peak_bf16 = FlopsPerSecond::tera(peaks.positive_number("bf16"));
    d.peak_fp32 = FlopsPerSecond::tera(peaks.positive_number("fp32"));
    d.peak_tf32 = FlopsPerSecond::tera(peaks.positive_number_or("tf32", d.peak_fp32.value() / 1e12));
    peaks.finish();
  }
  d.memory = r.gibibytes("memory_GiB");
  d.memory_bandwidth = BytesPerSecond::gigabytes(r.positive_number("memory_bandwidth_GBps"));
  d.gemm_efficiency = r.number_in_range_or("gemm_efficiency", 0.01, 1.0, d.gemm_efficiency);
  d.memory_efficiency = r.number_in_range_or("memory_efficiency", 0.01, 1.0, d.memory_efficiency);
  d.gemm_tile = r.positive_int_or("gemm_tile", d.gemm_tile);
  d.kernel_overhead = r.microseconds_or("kernel_overhead_us", 0.0);
  d.cores_per_chip = r.positive_int_or("cores_per_chip", d.cores_per_chip);
  d.sources = read_sources(r, {"name", "kind", "compute_units", "peak_tflops", "memory_GiB", "memory_bandwidth_GBps",
                               "gemm_efficiency", "memory_efficiency", "gemm_tile", "kernel_overhead_us",
                               "cores_per_chip"});
  r.finish();
  return d;
}

nlohmann::json to_json(const DeviceConfig& d) {
  return nlohmann::json{{"name", d.name},
                        {"kind", d.kind},
                        {"compute_units", d.compute_units},
                        {"peak_tflops",
                         {{"bf16", d.peak_bf16.value() / 1e12},
                          {"fp32", d.peak_fp32.value() / 1e12},
                          {"tf32", d.peak_tf32.value() / 1e12}}},
                        {"memory_GiB", d.memory.as_double() / 1073741824.0},
                        {"memory_bandwidth_GBps", d.memory_bandwidth.value() / 1e9},
                        {"gemm_efficiency", d.gemm_efficiency},
                        {"memory_efficiency", d.memory_efficiency},
                        {"gemm_tile", d.gemm_tile},
                        {"kernel_overhead_us", static_cast<double>(d.kernel_overhead.count()) / 1e6},
                        {"cores_per_chip", d.cores_per_chip},
                        {"sources", d.sources}};
}

}  // namespace switchsim::config
