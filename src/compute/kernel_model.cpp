#include "compute/kernel_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

// Boost 1.74's pchip.hpp (Debian 12's) calls isnan unqualified, which finds nothing on a double
// unless the global namespace has it: libstdc++'s <math.h> puts std::isnan there.
#include <math.h>  // NOLINT(modernize-deprecated-headers)

#include <boost/math/interpolators/pchip.hpp>

namespace switchsim::compute {
namespace {
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
}  // namespace

Flops gemm_flops(const GemmShape& g) {
  return Flops(2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k) *
               static_cast<double>(g.batch));
}

Bytes gemm_bytes(const GemmShape& g) {
  const std::int64_t elements = g.m * g.k + g.k * g.n + g.m * g.n;
  return Bytes(elements) * (dtype_bytes(g.dtype) * g.batch);
}

KernelModel::KernelModel(config::DeviceConfig device, GemmObserver observer)
    : device_(std::move(device)), observer_(std::move(observer)) {
  for (const auto& p : device_.gemm_operand_streaming) streaming_working_sets_.push_back(p.working_set.count());
  has_transposed_ = std::any_of(device_.gemm_efficiency_table.begin(), device_.gemm_efficiency_table.end(),
                                [](const config::GemmEfficiencyPoint& p) { return p.transposed_b && p.efficiency > 0; });
  if (!device_.gemm_grid) return;
  const auto& grid = *device_.gemm_grid;
  bool transposed_complete = has_transposed_;
  for (auto m : grid.m)
    for (auto n : grid.n)
      for (auto k : grid.k) {
        const auto* p = exact_calibrated(GemmShape{m, n, k});
        if (p == nullptr) throw std::invalid_argument("gemm_grid point missing from the efficiency table");
        grid_efficiency_.push_back(p->efficiency);
        if (!transposed_complete) continue;
        const auto* t = exact_calibrated(GemmShape{m, n, k, 1, DType::bf16, true});
        if (t == nullptr) {
          transposed_complete = false;
          grid_efficiency_transposed_.clear();
        } else {
          grid_efficiency_transposed_.push_back(t->efficiency);
        }
      }
}

namespace {
// Where x falls on a grid axis: the two neighbouring indices and the weight of the upper one,
// linear in ln x; clamped to the axis' ends.
struct Bracket {
  std::size_t lo = 0, hi = 0;
  double t = 0;
};
Bracket bracket(const std::vector<std::int64_t>& axis, std::int64_t x) {
  if (x <= axis.front()) return {0, 0, 0.0};
  if (x >= axis.back()) return {axis.size() - 1, axis.size() - 1, 0.0};
  const auto upper = static_cast<std::size_t>(std::upper_bound(axis.begin(), axis.end(), x) - axis.begin());
  const std::size_t lower = upper - 1;
  const double t = std::log(static_cast<double>(x) / static_cast<double>(axis[lower])) /
                   std::log(static_cast<double>(axis[upper]) / static_cast<double>(axis[lower]));
  return {lower, upper, t};
}

// One axis of the GEMM grid: monotone cubic (PCHIP) in ln x through the axis' values, linear in
// ln x on an axis of two or three points (Boost's PCHIP needs four), the edge value outside.
double interpolate_on_log_axis(const std::vector<std::int64_t>& axis, const std::vector<double>& values,
                               std::int64_t x) {
  const Bracket b = bracket(axis, x);
  if (b.lo == b.hi || axis.size() < 4) return (1 - b.t) * values[b.lo] + b.t * values[b.hi];
  std::vector<double> log_axis;
  for (const auto a : axis) log_axis.push_back(std::log(static_cast<double>(a)));
  const boost::math::interpolators::pchip<std::vector<double>> curve(std::move(log_axis), std::vector<double>(values));
  return curve(std::log(static_cast<double>(x)));
}
}  // namespace

const config::GemmEfficiencyPoint* KernelModel::exact_calibrated(const GemmShape& g) const {
  for (const auto& p : device_.gemm_efficiency_table)
    if (p.m == g.m && p.n == g.n && p.k == g.k && p.transposed_b == g.transposed_b && p.efficiency > 0) return &p;
  return nullptr;
}

double KernelModel::interpolated_efficiency(const GemmShape& g, const std::vector<double>& grid_efficiency) const {
  const auto& grid = *device_.gemm_grid;
  const std::size_t nn = grid.n.size(), nk = grid.k.size();
  // Along k for every (m, n) line of the grid, then along n for every m, then along m.
  std::vector<double> along_k(grid.m.size() * nn), along_n(grid.m.size()), line;
  for (std::size_t i = 0; i < grid.m.size(); ++i) {
    for (std::size_t j = 0; j < nn; ++j) {
      const auto first = grid_efficiency.begin() + static_cast<std::ptrdiff_t>((i * nn + j) * nk);
      line.assign(first, first + static_cast<std::ptrdiff_t>(nk));
      along_k[i * nn + j] = interpolate_on_log_axis(grid.k, line, g.k);
    }
    line.assign(along_k.begin() + static_cast<std::ptrdiff_t>(i * nn),
                along_k.begin() + static_cast<std::ptrdiff_t>((i + 1) * nn));
    along_n[i] = interpolate_on_log_axis(grid.n, line, g.n);
  }
  return interpolate_on_log_axis(grid.m, along_n, g.m);
}

double KernelModel::grid_efficiency(const GemmShape& g) const {
  const auto& values =
      g.transposed_b && !grid_efficiency_transposed_.empty() ? grid_efficiency_transposed_ : grid_efficiency_;
  const auto& tail = device_.gemm_row_tail;
  const std::int64_t panel = tail ? tail->panel_rows : 0;
  if (!tail || g.m <= panel || g.m % panel == 0) return interpolated_efficiency(g, values);
  const std::int64_t remainder = g.m % panel;
  GemmShape whole = g;
  whole.m = g.m - remainder;
  const auto& costs = g.transposed_b && !tail->ns_per_b_element_transposed_b.empty()
                          ? tail->ns_per_b_element_transposed_b
                          : tail->ns_per_b_element;
  const double peak = device_.peak(g.dtype).value();  // FLOP/s
  const double whole_s = gemm_flops(whole).value() / (peak * interpolated_efficiency(whole, values));
  const double remainder_s = static_cast<double>(g.n) * static_cast<double>(g.k) * static_cast<double>(g.batch) *
                             costs[static_cast<std::size_t>(remainder - 1)] * 1e-9;
  return gemm_flops(g).value() / (peak * (whole_s + remainder_s));
}

const config::GemmEfficiencyPoint* KernelModel::nearest_calibrated(const GemmShape& g) const {
  const config::GemmEfficiencyPoint* best = nullptr;
  double best_distance = 0;
  auto log_ratio = [](std::int64_t a, std::int64_t b) {
    return std::log(static_cast<double>(a) / static_cast<double>(b));
  };
  const bool orientation = g.transposed_b && has_transposed_;
  for (const auto& p : device_.gemm_efficiency_table) {
    if (p.efficiency <= 0) continue;  // a shape that could not be measured says nothing
    if (p.transposed_b != orientation) continue;
    const double dm = log_ratio(g.m, p.m), dn = log_ratio(g.n, p.n), dk = log_ratio(g.k, p.k);
    const double distance = dm * dm + dn * dn + dk * dk;
    if (best == nullptr || distance < best_distance) {
      best = &p;
      best_distance = distance;
    }
  }
  return best;
}

double KernelModel::gemm_efficiency(const GemmShape& g) const {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0 || g.batch <= 0) throw std::invalid_argument("GEMM with an empty dimension");
  if (g.transposed_b && !has_transposed_) {  // nothing measured of B^T: priced as B
    GemmShape plain = g;
    plain.transposed_b = false;
    return gemm_efficiency(plain);
  }
  if (const auto* p = exact_calibrated(g)) return p->efficiency;
  if (device_.gemm_grid) return grid_efficiency(g);
  if (const auto* p = nearest_calibrated(g)) return p->efficiency;
  const std::int64_t tile = device_.gemm_tile;
  const std::int64_t tiles_m = ceil_div(g.m, tile);
  const std::int64_t tiles_n = ceil_div(g.n, tile);
  const std::int64_t units = device_.compute_units;
  // Split-K: too few output tiles to fill the device and a long reduction -> the library
  // splits k into chunks of at least two tiles' depth and reduces the partial results.
  const std::int64_t output_tiles = tiles_m * tiles_n * g.batch;
  const std::int64_t splits =
      output_tiles >= units ? 1 : std::max<std::int64_t>(1, std::min(units / output_tiles, g.k / (2 * tile)));
  const std::int64_t tiles = output_tiles * splits;
  const std::int64_t waves = ceil_div(tiles, units);
  const double wave_fill = static_cast<double>(tiles) / static_cast<double>(waves * units);
  const double tile_fill = (static_cast<double>(g.m) * static_cast<double>(g.n)) /
                           (static_cast<double>(tiles_m * tile) * static_cast<double>(tiles_n * tile));
  double base = device_.gemm_efficiency;
  if (g.k < tile) base *= static_cast<double>(g.k) / static_cast<double>(tile);
  return base * wave_fill * tile_fill;
}

Picoseconds KernelModel::gemm_time(const GemmShape& g) const {
  if (observer_) observer_(g);
  const Picoseconds compute = gemm_flops(g) / (device_.peak(g.dtype) * gemm_efficiency(g));
  const Picoseconds memory = gemm_bytes(g) / (device_.memory_bandwidth * device_.memory_efficiency);
  return std::max(compute, memory) + device_.kernel_overhead;
}

Picoseconds KernelModel::weight_streaming_time(Bytes weight_bytes, Bytes working_set) const {
  const auto& curve = device_.gemm_operand_streaming;
  if (curve.empty() || working_set.count() <= 0) return Picoseconds(0);
  const Bracket b = bracket(streaming_working_sets_, working_set.count());
  const double ns_per_byte = (1.0 - b.t) * curve[b.lo].extra_ns_per_byte + b.t * curve[b.hi].extra_ns_per_byte;
  return Picoseconds::from_seconds(weight_bytes.as_double() * ns_per_byte * 1e-9);
}

Picoseconds KernelModel::routing_time(std::int64_t tokens, std::int64_t experts, std::int64_t top_k) const {
  return routing_cost(tokens, experts, top_k, &config::RoutingCostPoint::ns_per_logit);
}

Picoseconds KernelModel::routing_backward_time(std::int64_t tokens, std::int64_t experts, std::int64_t top_k) const {
  return routing_cost(tokens, experts, top_k, &config::RoutingCostPoint::backward_ns_per_logit);
}

Picoseconds KernelModel::routing_cost(std::int64_t tokens, std::int64_t experts, std::int64_t top_k,
                                      double config::RoutingCostPoint::*ns_per_logit_of) const {
  const auto& points = device_.router_ns_per_logit;
  if (points.empty()) return Picoseconds(0);
  if (tokens < 0 || experts < 1 || top_k < 1) throw std::invalid_argument("routing cost: tokens, experts or top-k out of range");
  // The points are ascending by (top_k, experts): the largest measured top_k not above top_k.
  std::int64_t measured_k = points.front().top_k;
  for (const auto& p : points)
    if (p.top_k <= top_k) measured_k = p.top_k;
  std::vector<std::int64_t> axis;
  std::vector<double> ns;
  for (const auto& p : points)
    if (p.top_k == measured_k) {
      axis.push_back(p.experts);
      ns.push_back(p.*ns_per_logit_of);
    }
  const Bracket b = bracket(axis, experts);
  const double ns_per_logit = (1 - b.t) * ns[b.lo] + b.t * ns[b.hi];
  return Picoseconds::from_seconds(static_cast<double>(tokens) * static_cast<double>(experts) * ns_per_logit * 1e-9);
}

Picoseconds KernelModel::memory_time(Bytes bytes) const {
  return bytes / (device_.memory_bandwidth * device_.memory_efficiency) + device_.kernel_overhead;
}

}  // namespace switchsim::compute
