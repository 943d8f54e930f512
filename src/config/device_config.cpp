#include "config/device_config.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "config/limits.hpp"
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

// Reads `<field>_lo` and `<field>_hi` (both or neither) and checks lo <= value <= hi.
std::optional<Band<double>> read_band(ObjectReader& r, const std::string& field, double value) {
  const std::string lo_key = field + "_lo", hi_key = field + "_hi";
  if (!r.has(lo_key) && !r.has(hi_key)) return std::nullopt;
  if (!r.has(lo_key)) r.fail(hi_key, "needs " + lo_key + " as well");
  if (!r.has(hi_key)) r.fail(lo_key, "needs " + hi_key + " as well");
  Band<double> b{r.non_negative_number_or(lo_key, 0.0), r.non_negative_number_or(hi_key, 0.0)};
  if (b.lo > value) r.fail(lo_key, "must not exceed " + field + " (" + nlohmann::json(value).dump() + ")");
  if (b.hi < value) r.fail(hi_key, "must not be below " + field + " (" + nlohmann::json(value).dump() + ")");
  return b;
}

// Reads the optional array `key`, each element an object of the fields `shape` names, with
// `read` (which calls finish on its reader); absent, it reads nothing.
template <class Read>
void read_object_array(ObjectReader& r, std::string_view key, std::string_view shape, Read&& read) {
  if (!r.has(key)) return;
  const auto& entries = r.array(key);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string pointer = r.pointer_to(key) + "/" + std::to_string(i);
    if (!entries[i].is_object())
      throw ConfigError(r.file(), pointer, "must be an object " + std::string(shape) + ", got " + describe_value(entries[i]));
    ObjectReader e(entries[i], r.file(), pointer);
    read(e);
  }
}

std::vector<GemmEfficiencyPoint> read_gemm_table(ObjectReader& r) {
  std::vector<GemmEfficiencyPoint> table;
  read_object_array(r, "gemm_efficiency_table", "{m, n, k, efficiency}", [&](ObjectReader& e) {
    GemmEfficiencyPoint p;
    p.m = e.positive_int("m");
    p.n = e.positive_int("n");
    p.k = e.positive_int("k");
    p.efficiency = e.number_in_range_or("efficiency", 0.0, 1.0, -1.0);
    if (p.efficiency < 0) e.fail("efficiency", "is required (a fraction of peak in [0, 1])");
    p.band = read_band(e, "efficiency", p.efficiency);
    p.transposed_b = e.boolean_or("transposed_b", false);
    e.finish();
    table.push_back(p);
  });
  return table;
}
// "gemm_grid": three strictly ascending axes whose every combination is in the table with a
// positive efficiency.
std::optional<GemmGrid> read_gemm_grid(ObjectReader& r, const std::vector<GemmEfficiencyPoint>& table) {
  auto g = r.optional_object("gemm_grid");
  if (!g) return std::nullopt;
  GemmGrid grid;
  for (auto [key, axis] : {std::pair{"m", &grid.m}, std::pair{"n", &grid.n}, std::pair{"k", &grid.k}}) {
    *axis = g->positive_int_array(key);
    if (axis->empty()) g->fail(key, "must list at least one size");
    for (std::size_t i = 1; i < axis->size(); ++i)
      if ((*axis)[i] <= (*axis)[i - 1]) g->fail(key, "must be strictly ascending");
  }
  g->finish();
  for (auto m : grid.m)
    for (auto n : grid.n)
      for (auto k : grid.k) {
        const bool present = std::any_of(table.begin(), table.end(), [&](const GemmEfficiencyPoint& p) {
          return p.m == m && p.n == n && p.k == k && p.efficiency > 0 && !p.transposed_b;
        });
        if (!present)
          throw ConfigError(r.file(), r.pointer_to("gemm_grid"),
                            "grid point (" + std::to_string(m) + ", " + std::to_string(n) + ", " + std::to_string(k) +
                                ") has no positive efficiency in gemm_efficiency_table");
      }
  return grid;
}

// "gemm_row_tail": a panel of 2..64 rows and one cost per remainder of 1 .. panel_rows - 1 rows.
std::optional<GemmRowTail> read_gemm_row_tail(ObjectReader& r) {
  auto o = r.optional_object("gemm_row_tail");
  if (!o) return std::nullopt;
  GemmRowTail tail;
  tail.panel_rows = o->at_most("panel_rows", o->positive_int("panel_rows"), 64);
  if (tail.panel_rows < 2) o->fail("panel_rows", "must be at least 2 (rows a GEMM kernel computes at once)");
  auto costs = [&](std::string_view key) {
    auto c = o->non_negative_number_array(key);
    if (static_cast<std::int64_t>(c.size()) != tail.panel_rows - 1)
      o->fail(key, "must hold panel_rows - 1 = " + std::to_string(tail.panel_rows - 1) +
                       " costs (remainders of 1 .. panel_rows - 1 rows), got " + std::to_string(c.size()));
    for (const double v : c)
      if (v > 1e3) o->fail(key, "costs must be at most 1e3 ns per element of B (switchsim's limits)");
    return c;
  };
  tail.ns_per_b_element = costs("ns_per_b_element");
  if (o->has("ns_per_b_element_transposed_b")) tail.ns_per_b_element_transposed_b = costs("ns_per_b_element_transposed_b");
  o->finish();
  return tail;
}

std::vector<OperandStreamingPoint> read_operand_streaming(ObjectReader& r) {
  std::vector<OperandStreamingPoint> curve;
  read_object_array(r, "gemm_operand_streaming", "{working_set_bytes, extra_ns_per_byte}", [&](ObjectReader& e) {
    OperandStreamingPoint p;
    p.working_set = Bytes(e.positive_int("working_set_bytes"));
    p.extra_ns_per_byte = e.non_negative_number_or("extra_ns_per_byte", -1.0);
    if (p.extra_ns_per_byte < 0) e.fail("extra_ns_per_byte", "is required (extra nanoseconds per byte of a GEMM weight operand, >= 0)");
    if (p.extra_ns_per_byte > 1e6) e.fail("extra_ns_per_byte", "must be at most 1e6 (switchsim's limits)");
    if (!curve.empty() && !(curve.back().working_set < p.working_set))
      e.fail("working_set_bytes", "must be strictly ascending along gemm_operand_streaming");
    e.finish();
    curve.push_back(p);
  });
  return curve;
}

std::vector<RoutingCostPoint> read_routing_cost(ObjectReader& r) {
  std::vector<RoutingCostPoint> curve;
  read_object_array(r, "router_ns_per_logit", "{experts, top_k, ns_per_logit}", [&](ObjectReader& e) {
    RoutingCostPoint p;
    p.experts = e.at_most("experts", e.positive_int("experts"), 1 << 20);
    p.top_k = e.at_most("top_k", e.positive_int("top_k"), p.experts);
    p.ns_per_logit = e.non_negative_number_or("ns_per_logit", -1.0);
    if (p.ns_per_logit < 0) e.fail("ns_per_logit", "is required (nanoseconds per token and expert, >= 0)");
    if (p.ns_per_logit > 1e6) e.fail("ns_per_logit", "must be at most 1e6 (switchsim's limits)");
    p.backward_ns_per_logit = e.non_negative_number_or("backward_ns_per_logit", 0.0);
    if (p.backward_ns_per_logit > 1e6) e.fail("backward_ns_per_logit", "must be at most 1e6 (switchsim's limits)");
    if (!curve.empty() && !(std::pair(curve.back().top_k, curve.back().experts) < std::pair(p.top_k, p.experts)))
      e.fail("experts", "must be strictly ascending along router_ns_per_logit within each top_k, top_k ascending");
    e.finish();
    curve.push_back(p);
  });
  return curve;
}
}  // namespace

DeviceConfig parse_device(const nlohmann::json& object, const std::string& file, const std::string& pointer) {
  ObjectReader r(object, file, pointer);
  DeviceConfig d;
  d.name = r.string("name");
  d.kind = r.choice("kind", {"gpu", "tpu_core", "cpu"});
  d.compute_units = r.at_most("compute_units", r.positive_int("compute_units"), 1 << 20);
  {
    auto peaks = r.object("peak_tflops");
    // 1 MFLOP/s to 1 EFLOP/s per device: outside, kernel times leave 64-bit picoseconds.
    auto peak = [&](std::string_view key, double value) {
      if (value < 1e-6 || value > 1e6) peaks.fail(key, "must be between 1e-6 and 1e6 TFLOP/s (switchsim's limits)");
      return FlopsPerSecond::tera(value);
    };
    d.peak_bf16 = peak("bf16", peaks.positive_number("bf16"));
    if (r.has("fp32_matmul_passes")) {
      // fp32 matmuls as bf16 passes: the fp32 peak follows; a stated one must agree.
      d.fp32_matmul_passes = r.positive_int("fp32_matmul_passes");
      const double derived = d.peak_bf16.value() / 1e12 / static_cast<double>(*d.fp32_matmul_passes);
      for (const char* key : {"fp32", "tf32"}) {
        const double stated = peaks.positive_number_or(key, derived);
        if (std::abs(stated - derived) > 1e-6 * derived)
          peaks.fail(key, "must equal bf16 / fp32_matmul_passes = " + nlohmann::json(derived).dump() +
                              " (or be left out), got " + nlohmann::json(stated).dump());
      }
      d.peak_fp32 = d.peak_tf32 = FlopsPerSecond::tera(derived);
    } else {
      d.peak_fp32 = peak("fp32", peaks.positive_number("fp32"));
      d.peak_tf32 = peak("tf32", peaks.positive_number_or("tf32", d.peak_fp32.value() / 1e12));
    }
    peaks.finish();
  }
  d.dispatch = r.choice_or("dispatch", {"einsum", "scatter", "grouped"}, d.kind == "tpu_core" ? "einsum" : "scatter");
  d.memory = r.gibibytes("memory_GiB");
  d.memory_bandwidth = BytesPerSecond::gigabytes(r.positive_number("memory_bandwidth_GBps"));
  if (d.memory_bandwidth.value() < kMinBandwidthBytesPerSecond || d.memory_bandwidth.value() > kMaxBandwidthBytesPerSecond)
    r.fail("memory_bandwidth_GBps", "must be between 1e-6 and 1e6 GB/s (switchsim's limits)");
  d.gemm_efficiency = r.number_in_range_or("gemm_efficiency", 0.01, 1.0, d.gemm_efficiency);
  d.memory_efficiency = r.number_in_range_or("memory_efficiency", 0.01, 1.0, d.memory_efficiency);
  d.gemm_tile = r.at_most("gemm_tile", r.positive_int_or("gemm_tile", d.gemm_tile), 1 << 16);
  d.kernel_overhead = r.microseconds_or("kernel_overhead_us", 0.0);
  d.cores_per_chip = r.at_most("cores_per_chip", r.positive_int_or("cores_per_chip", d.cores_per_chip), 1 << 10);
  d.gemm_efficiency_table = read_gemm_table(r);
  d.gemm_grid = read_gemm_grid(r, d.gemm_efficiency_table);
  d.gemm_row_tail = read_gemm_row_tail(r);
  d.gemm_operand_streaming = read_operand_streaming(r);
  d.router_ns_per_logit = read_routing_cost(r);
  d.gemm_efficiency_band = read_band(r, "gemm_efficiency", d.gemm_efficiency);
  d.memory_efficiency_band = read_band(r, "memory_efficiency", d.memory_efficiency);
  if (auto b = read_band(r, "memory_bandwidth_GBps", d.memory_bandwidth.value() / 1e9))
    d.memory_bandwidth_band = Band<BytesPerSecond>{BytesPerSecond::gigabytes(b->lo), BytesPerSecond::gigabytes(b->hi)};
  if (auto b = read_band(r, "kernel_overhead_us", static_cast<double>(d.kernel_overhead.count()) / 1e6))
    d.kernel_overhead_band = Band<Picoseconds>{Picoseconds::from_seconds(b->lo * 1e-6), Picoseconds::from_seconds(b->hi * 1e-6)};
  d.sources = read_sources(r, {"name", "kind", "compute_units", "peak_tflops", "memory_GiB", "memory_bandwidth_GBps",
                               "gemm_efficiency", "memory_efficiency", "gemm_tile", "kernel_overhead_us",
                               "cores_per_chip", "gemm_efficiency_table", "fp32_matmul_passes", "dispatch", "gemm_grid",
                               "gemm_operand_streaming", "router_ns_per_logit", "gemm_row_tail"});
  r.finish();
  return d;
}

nlohmann::json to_json(const DeviceConfig& d) {
  auto j = nlohmann::json{{"name", d.name},
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
                        {"dispatch", d.dispatch},
                        {"sources", d.sources}};
  if (d.fp32_matmul_passes) j["fp32_matmul_passes"] = *d.fp32_matmul_passes;
  auto put_band = [&j](const std::string& field, double lo, double hi) {
    j[field + "_lo"] = lo;
    j[field + "_hi"] = hi;
  };
  if (d.gemm_efficiency_band) put_band("gemm_efficiency", d.gemm_efficiency_band->lo, d.gemm_efficiency_band->hi);
  if (d.memory_efficiency_band)
    put_band("memory_efficiency", d.memory_efficiency_band->lo, d.memory_efficiency_band->hi);
  if (d.memory_bandwidth_band)
    put_band("memory_bandwidth_GBps", d.memory_bandwidth_band->lo.value() / 1e9,
             d.memory_bandwidth_band->hi.value() / 1e9);
  if (d.kernel_overhead_band)
    put_band("kernel_overhead_us", static_cast<double>(d.kernel_overhead_band->lo.count()) / 1e6,
             static_cast<double>(d.kernel_overhead_band->hi.count()) / 1e6);
  if (!d.gemm_efficiency_table.empty()) {
    auto table = nlohmann::json::array();
    for (const auto& p : d.gemm_efficiency_table) {
      nlohmann::json e{{"m", p.m}, {"n", p.n}, {"k", p.k}, {"efficiency", p.efficiency}};
      if (p.band) {
        e["efficiency_lo"] = p.band->lo;
        e["efficiency_hi"] = p.band->hi;
      }
      if (p.transposed_b) e["transposed_b"] = true;
      table.push_back(e);
    }
    j["gemm_efficiency_table"] = table;
  }
  if (d.gemm_grid) j["gemm_grid"] = {{"m", d.gemm_grid->m}, {"n", d.gemm_grid->n}, {"k", d.gemm_grid->k}};
  if (!d.gemm_operand_streaming.empty()) {
    auto curve = nlohmann::json::array();
    for (const auto& p : d.gemm_operand_streaming)
      curve.push_back({{"working_set_bytes", p.working_set.count()}, {"extra_ns_per_byte", p.extra_ns_per_byte}});
    j["gemm_operand_streaming"] = curve;
  }
  if (!d.router_ns_per_logit.empty()) {
    auto curve = nlohmann::json::array();
    for (const auto& p : d.router_ns_per_logit)
      curve.push_back({{"experts", p.experts},
                       {"top_k", p.top_k},
                       {"ns_per_logit", p.ns_per_logit},
                       {"backward_ns_per_logit", p.backward_ns_per_logit}});
    j["router_ns_per_logit"] = curve;
  }
  if (d.gemm_row_tail) {
    j["gemm_row_tail"] = {{"panel_rows", d.gemm_row_tail->panel_rows},
                          {"ns_per_b_element", d.gemm_row_tail->ns_per_b_element}};
    if (!d.gemm_row_tail->ns_per_b_element_transposed_b.empty())
      j["gemm_row_tail"]["ns_per_b_element_transposed_b"] = d.gemm_row_tail->ns_per_b_element_transposed_b;
  }
  return j;
}

}  // namespace switchsim::config
