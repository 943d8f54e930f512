#include "ref/cpu/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "ref/cpu/timing_stats.hpp"

namespace switchsim::ref::cpu {

namespace {
double round_to(double v, double digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}
}  // namespace

Spread spread_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  if (v.empty()) return {};
  return {quantile(v, 0.5), quantile(v, 0.1), quantile(v, 0.9), sum / static_cast<double>(v.size())};
}

AlltoallFit fit_alltoall(const std::vector<AlltoallSample>& samples, std::int64_t ranks) {
  if (samples.empty()) throw std::invalid_argument("fit_alltoall: no samples");
  if (ranks < 2) throw std::invalid_argument("fit_alltoall: an all-to-all needs at least 2 ranks");
  // Weighted least squares with weights 1/t^2: minimize sum w (a + b x - t)^2, x = (n-1) * bytes.
  double sw = 0, swx = 0, swxx = 0, swt = 0, swxt = 0;
  for (const auto& s : samples) {
    const double t = s.us.median;
    if (!(t > 0)) continue;
    const double x = static_cast<double>(ranks - 1) * static_cast<double>(s.bytes_per_peer);
    const double w = 1.0 / (t * t);
    sw += w;
    swx += w * x;
    swxx += w * x * x;
    swt += w * t;
    swxt += w * x * t;
  }
  if (sw == 0) throw std::invalid_argument("fit_alltoall: no positive time");
  AlltoallFit f;
  const double det = sw * swxx - swx * swx;
  if (det > 0) {
    f.fixed_us = (swxx * swt - swx * swxt) / det;
    f.per_byte_us = (sw * swxt - swx * swt) / det;
  }
  if (det <= 0 || f.fixed_us < 0) {  // one size, or a line through the origin fits better: no fixed cost
    f.fixed_us = 0;
    f.per_byte_us = swxx > 0 ? swxt / swxx : 0;
  }
  if (!(f.per_byte_us > 0)) {  // time falls with size (noise): the largest message's average rate
    const auto& big = *std::max_element(samples.begin(), samples.end(), [](const auto& a, const auto& b) {
      return a.bytes_per_peer < b.bytes_per_peer;
    });
    f.fixed_us = 0;
    f.per_byte_us = big.us.median / (static_cast<double>(ranks - 1) * static_cast<double>(big.bytes_per_peer));
  }
  return f;
}

std::vector<double> remainder_ns_per_b_element(const std::vector<double>& seconds, double b_elements) {
  if (seconds.size() < 2 || !(b_elements > 0))
    throw std::invalid_argument("remainder_ns_per_b_element: needs a panel of 2 rows or more and a non-empty B");
  std::vector<double> ns;
  for (std::size_t r = 1; r < seconds.size(); ++r) ns.push_back((seconds[r] - seconds[0]) * 1e9 / b_elements);
  return ns;
}

nlohmann::json device_json(const CalibrationResult& r, const std::string& name) {
  if (r.gemm.empty()) throw std::invalid_argument("device_json: no GEMM samples");
  double peak = 0;
  for (const auto& g : r.gemm) peak = std::max(peak, g.gflops.median);
  // The largest shape of the grid (B as stored) stands for "large GEMMs".
  const auto largest = std::max_element(r.gemm.begin(), r.gemm.end(), [](const GemmSample& a, const GemmSample& b) {
    return std::pair(!a.transposed_b, a.m * a.n * a.k) < std::pair(!b.transposed_b, b.m * b.n * b.k);
  });
  auto eff = [peak](double gflops) { return std::clamp(round_to(gflops / peak, 4), 0.01, 1.0); };
  nlohmann::json table = nlohmann::json::array();
  for (const auto& g : r.gemm) {
    table.push_back({{"m", g.m}, {"n", g.n}, {"k", g.k}, {"efficiency", eff(g.gflops.median)},
                     {"efficiency_lo", eff(g.gflops.lo)}, {"efficiency_hi", eff(g.gflops.hi)}});
    if (g.transposed_b) table.back()["transposed_b"] = true;
  }
  const double best_stream = r.stream_GBps.hi;
  const bool grid = !r.grid_m.empty() && !r.grid_n.empty() && !r.grid_k.empty();
  const std::string by = fmt::format("measured by switchsim calibrate{} on {} {}", r.quick ? " --quick" : "",
                                     r.host.host, r.host.date_utc);
  const std::string where = fmt::format("{} ({}, {} cores, load {}, OpenBLAS core {}; {} interleaved rounds)", by,
                                        r.host.cpu_model, r.host.cores, r.host.load_average, r.host.blas_core,
                                        r.rounds);
  const double peak_tflops = round_to(peak / 1e3, 6);
  auto device = nlohmann::json{
      {"name", name},
      {"type", "device"},
      {"kind", "cpu"},
      {"compute_units", r.threads_per_rank > 0 ? r.threads_per_rank : r.host.cores},
      {"peak_tflops", {{"bf16", peak_tflops}, {"fp32", peak_tflops}}},
      {"memory_GiB", round_to(std::max(r.host.memory_gib, 0.001), 3)},
      {"memory_bandwidth_GBps", round_to(best_stream, 3)},
      {"memory_bandwidth_GBps_lo", round_to(r.stream_GBps.lo, 3)},
      {"memory_bandwidth_GBps_hi", round_to(r.stream_GBps.hi, 3)},
      {"gemm_efficiency", eff(largest->gflops.median)},
      {"gemm_efficiency_lo", eff(largest->gflops.lo)},
      {"gemm_efficiency_hi", eff(largest->gflops.hi)},
      {"gemm_efficiency_table", table},
      {"memory_efficiency", std::clamp(round_to(r.stream_GBps.median / best_stream, 4), 0.01, 1.0)},
      {"memory_efficiency_lo", std::clamp(round_to(r.stream_GBps.lo / best_stream, 4), 0.01, 1.0)},
      {"memory_efficiency_hi", 1.0},
      {"gemm_tile", kCpuGemmTile},
      {"kernel_overhead_us", round_to(r.tiny_gemm_us.median, 4)},
      {"kernel_overhead_us_lo", round_to(r.tiny_gemm_us.lo, 4)},
      {"kernel_overhead_us_hi", round_to(r.tiny_gemm_us.hi, 4)},
      {"sources",
       {{"compute_units",
         r.threads_per_rank > 0
             ? fmt::format("{}: BLAS threads of one rank ({} ranks computing at once, each measured rate is one "
                           "rank's share of the host)",
                           where, r.ranks)
             : fmt::format("{}: online logical CPUs", where)},
        {"peak_tflops", fmt::format("{}: fp32 = best median OpenBLAS sgemm rate over the shape grid (a measured peak, "
                                    "not cores x clock x FLOP/cycle); bf16 set equal (no bf16 GEMM path measured); BLAS: {}",
                                    where, r.host.blas)},
        {"memory_GiB", fmt::format("{}: /proc/meminfo MemTotal", by)},
        {"memory_bandwidth_GBps",
         fmt::format("{}: p90 of memcpy and scale kernels on two arrays of {} bytes each (bytes read + written; "
                     "one thread per rank, every rank at once; arrays the size of a layer's activations, so "
                     "cache-resident as theirs are, not DRAM streaming; each sample back-to-back passes for {} "
                     "ms, since a single pass of about 120 us was either clean or carried a stall several times "
                     "its length, and the median of single passes moved 2.6x between runs)",
                     where, r.stream_bytes, round_to(r.stream_window_s * 1e3, 3))},
        {"gemm_efficiency", fmt::format("{}: median sgemm rate of the largest grid shape / peak; table per shape, "
                                        "_lo/_hi from p10/p90 of repeats",
                                        where)},
        {"gemm_efficiency_table", fmt::format("{}: median/p10/p90 sgemm rate per (m, n, k) / peak; transposed_b: the "
                                              "same with B transposed (CblasTrans, B stored [n, k]), as the layer's "
                                              "dX GEMMs call it",
                                              where)},
        {"memory_efficiency", fmt::format("{}: median / p90 of the streaming kernels", where)},
        {"gemm_tile", "assumption: OpenBLAS blocks are of the order of 64 rows; CPUs have no wave quantization"},
        {"kernel_overhead_us", fmt::format("{}: time of a 1x1x1 sgemm call (timed once, not in the rounds)", where)}}}};
  if (!r.routing.empty()) {
    auto curve = nlohmann::json::array();
    for (const auto& s : r.routing)
      curve.push_back({{"experts", s.experts},
                       {"top_k", s.top_k},
                       {"ns_per_logit", round_to(s.ns_per_logit.median, 4)},
                       {"backward_ns_per_logit", round_to(s.backward_ns_per_logit.median, 4)}});
    device["router_ns_per_logit"] = curve;
    device["sources"]["router_ns_per_logit"] = fmt::format(
        "{}: median time of the CPU reference's own router softmax + top-k selection (ns_per_logit) and of its "
        "logit gradients with the load-balancing loss (backward_ns_per_logit; ref/cpu/routing.hpp) over {} tokens of "
        "normal logits in cache, per token and expert, the slowest rank's, every rank at once",
        where, r.routing_tokens);
  }
  if (r.gemm_working_set_bytes > 0 && !r.operand_streaming.empty()) {
    auto curve = nlohmann::json::array();
    curve.push_back({{"working_set_bytes", r.gemm_working_set_bytes}, {"extra_ns_per_byte", 0.0}});
    for (const auto& o : r.operand_streaming)
      if (o.working_set_bytes > r.gemm_working_set_bytes)
        curve.push_back({{"working_set_bytes", o.working_set_bytes},
                         {"extra_ns_per_byte", round_to(std::max(0.0, o.extra_ns_per_byte.median), 6)}});
    device["gemm_operand_streaming"] = curve;
    device["sources"]["gemm_operand_streaming"] = fmt::format(
        "{}: probe sgemms whose operands were cycled through each working set (two passes, the second timed, "
        "every rank at once, the slowest rank's time), minus the same shapes cycling the {}-byte set the GEMM table "
        "was measured on, per byte of the operands A, B and C the probe cycles (the extra grows with all three: 8 to "
        "1,024 rows x 256 x 256, 2.8 to 85 us, 0.010-0.044 ns per operand byte but 0.011-0.40 per byte of B); "
        "median over probes and rounds (negative: noise, read as 0)",
        where, r.gemm_working_set_bytes);
  }
  if (grid) {
    device["gemm_grid"] = {{"m", r.grid_m}, {"n", r.grid_n}, {"k", r.grid_k}};
    device["sources"]["gemm_grid"] = fmt::format(
        "{}: the fixed calibration grid (independent of any layer); every point is in gemm_efficiency_table, and "
        "shapes between points get the efficiency interpolated in (ln m, ln n, ln k), PCHIP on axes of four or "
        "more points (compute/kernel_model.hpp)",
        where);
  }
  if (r.row_tail) {
    auto medians = [](const std::vector<Spread>& s) {
      std::vector<double> out;
      for (const auto& v : s) out.push_back(round_to(std::max(0.0, v.median), 6));
      return out;
    };
    const auto& t = *r.row_tail;
    device["gemm_row_tail"] = {{"panel_rows", t.panel_rows}, {"ns_per_b_element", medians(t.ns_per_b_element)}};
    if (!t.ns_per_b_element_transposed_b.empty())
      device["gemm_row_tail"]["ns_per_b_element_transposed_b"] = medians(t.ns_per_b_element_transposed_b);
    device["sources"]["gemm_row_tail"] = fmt::format(
        "{}: probe sgemms of {} + r rows x {} x {} (B as stored and transposed), per round the time over that of "
        "{} rows, per element of B, median over rounds (negative: noise, read as 0); panel_rows: the rows one pass "
        "of the BLAS kernel computes (OpenBLAS's Haswell sgemm kernel, sgemm_kernel_16x4_haswell.S in "
        "kernel/x86_64/KERNEL.HASWELL, computes 16 x 4 of its column-major C a pass; our row-major C[m, n] is C^T "
        "there, so m runs in passes of 4, and a remainder of 1-3 rows through narrower code, each such pass adding "
        "about a fixed time per element of B whatever the rows before it)",
        where, t.panel_rows, t.probe_n, t.probe_k, t.panel_rows);
  }
  return device;
}

nlohmann::json cluster_json(const CalibrationResult& r, const std::string& name, const std::string& device_name) {
  auto device = device_json(r, device_name);
  device.erase("type");
  const auto fit = fit_alltoall(r.alltoall, r.ranks);
  const double link_latency_us = round_to(fit.fixed_us / 2.0, 4);
  const double link_GBps = round_to(1e-3 / fit.per_byte_us, 4);  // bytes per us -> GB/s
  std::string samples;
  for (const auto& a : r.alltoall) {
    samples += fmt::format("{}{} B/peer: median {:.1f} us (p10 {:.1f}, p90 {:.1f}; fit {:.1f})",
                           samples.empty() ? "" : "; ", a.bytes_per_peer, a.us.median, a.us.lo, a.us.hi,
                           fit.us_at(a.bytes_per_peer, r.ranks));
  }
  const std::string by = fmt::format("measured by switchsim calibrate{} on {} {} ({} ranks, {}, load {})",
                                     r.quick ? " --quick" : "", r.host.host, r.host.date_utc, r.ranks,
                                     r.host.mpi_library, r.host.load_average);
  return nlohmann::json{
      {"name", name},
      {"type", "cluster"},
      {"device", device},
      {"devices", r.ranks},
      {"topology",
       {{"kind", "nvswitch"},
        {"endpoints", r.ranks},
        {"link_bandwidth_GBps", link_GBps},
        {"link_latency_us", link_latency_us}}},
      {"sources",
       {{"topology",
         fmt::format("{}: MPI ranks on one host modelled as a non-blocking crossbar, all-to-all time = 2 x link latency "
                     "+ (n-1) x bytes per peer / link bandwidth, fitted (least squares on the relative error) to the "
                     "median MPI_Alltoall times of {} sizes, each sample right after a compute burst, {} interleaved "
                     "rounds: fixed {:.2f} us, {:.4f} us per KiB; one-way pingpong of {}-byte messages: {:.3f} GB/s "
                     "(p10 {:.3f}, p90 {:.3f}); one-way 8-byte latency {:.3f} us (p10 {:.3f}, p90 {:.3f})",
                     by, r.alltoall.size(), r.rounds, fit.fixed_us, fit.per_byte_us * 1024.0, r.mpi_message_bytes,
                     r.mpi_bandwidth_GBps.median, r.mpi_bandwidth_GBps.lo, r.mpi_bandwidth_GBps.hi,
                     r.mpi_latency_us.median, r.mpi_latency_us.lo, r.mpi_latency_us.hi)},
        {"alltoall", fmt::format("{}: {}", by, samples)}}}};
}

}  // namespace switchsim::ref::cpu
