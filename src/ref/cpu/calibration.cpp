#include "ref/cpu/calibration.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "ref/cpu/expert_ffn.hpp"
#include "ref/cpu/timing_stats.hpp"

namespace switchsim::ref::cpu {

namespace {
using Clock = std::chrono::steady_clock;

template <class F>
double seconds_of(F&& body) {
  const auto start = Clock::now();
  body();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Spread spread_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return {quantile(v, 0.5), quantile(v, 0.1), quantile(v, 0.9), v.empty() ? 0.0 : sum / static_cast<double>(v.size())};
}

double round_to(double v, double digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}
}  // namespace

std::vector<GemmSample> benchmark_gemm(bool quick, MPI_Comm comm) {
  std::vector<std::int64_t> ms = quick ? std::vector<std::int64_t>{32, 128} : std::vector<std::int64_t>{64, 256, 1024};
  std::vector<std::int64_t> ns = quick ? std::vector<std::int64_t>{128} : std::vector<std::int64_t>{256, 1024};
  std::vector<std::int64_t> ks = ns;
  const int repeats = quick ? 3 : 5;
  std::vector<GemmSample> out;
  for (auto m : ms)
    for (auto n : ns)
      for (auto k : ks) {
        std::vector<float> a(static_cast<std::size_t>(m * k), 0.5F), b(static_cast<std::size_t>(k * n), 0.25F),
            c(static_cast<std::size_t>(m * n), 0.0F);
        sgemm(false, false, m, n, k, 1.0F, a.data(), b.data(), 0.0F, c.data());  // warm-up
        // One sample = back-to-back calls for at least `window` seconds: long enough (many
        // scheduler time slices, past the credit a process gets on waking from a barrier) that
        // on a shared machine it measures this rank's sustained share of the cores, as the
        // layer's expert phase (hundreds of ms of GEMMs) gets it.
        const double window = quick ? 0.002 : 0.2;
        std::vector<double> rates;
        for (int r = 0; r < repeats; ++r) {
          if (comm != MPI_COMM_NULL) MPI_Barrier(comm);
          std::int64_t calls = 0;
          double s = 0;
          while (s < window) {
            s += seconds_of([&] { sgemm(false, false, m, n, k, 1.0F, a.data(), b.data(), 0.0F, c.data()); });
            ++calls;
          }
          double rate = 2.0 * double(m) * double(n) * double(k) * double(calls) / s / 1e9;
          if (comm != MPI_COMM_NULL) {  // the slowest rank's rate, as the layer's phases report the slowest rank
            double slowest = rate;
            MPI_Allreduce(&rate, &slowest, 1, MPI_DOUBLE, MPI_MIN, comm);
            rate = slowest;
          }
          rates.push_back(rate);
        }
        out.push_back({m, n, k, spread_of(rates)});
      }
  return out;
}

Spread benchmark_tiny_gemm(bool quick) {
  float a = 1, b = 2, c = 0;
  const int calls = quick ? 200 : 2000;
  std::vector<double> us;
  for (int r = 0; r < (quick ? 3 : 9); ++r) {
    const double s = seconds_of([&] {
      for (int i = 0; i < calls; ++i) sgemm(false, false, 1, 1, 1, 1.0F, &a, &b, 0.0F, &c);
    });
    us.push_back(s / calls * 1e6);
  }
  return spread_of(us);
}

Spread benchmark_stream(bool quick, std::int64_t& bytes) {
  const std::size_t n = quick ? (1U << 20) : (1U << 24);  // floats per array: 4 MiB or 64 MiB
  std::vector<float> a(n, 1.0F), b(n, 0.0F);
  bytes = static_cast<std::int64_t>(2 * n * sizeof(float));  // one read + one write per element
  std::vector<double> rates;
  const int repeats = quick ? 3 : 8;
  std::memcpy(b.data(), a.data(), n * sizeof(float));  // fault pages in
  for (int r = 0; r < repeats; ++r) {
    double s = seconds_of([&] { std::memcpy(b.data(), a.data(), n * sizeof(float)); });
    rates.push_back(double(bytes) / s / 1e9);
    s = seconds_of([&] {
      const float* src = b.data();
      float* dst = a.data();
      for (std::size_t i = 0; i < n; ++i) dst[i] = 1.0001F * src[i];
    });
    rates.push_back(double(bytes) / s / 1e9);
  }
  return spread_of(rates);
}

void benchmark_mpi(MPI_Comm comm, bool quick, CalibrationResult& out) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (size < 2) throw std::invalid_argument("MPI benchmarks need at least 2 ranks");
  out.ranks = size;
  auto pingpong = [&](std::int64_t bytes, int iterations, int samples) {
    std::vector<char> buf(static_cast<std::size_t>(bytes), 1);
    std::vector<double> one_way;
    for (int s = 0; s < samples + 1; ++s) {  // the first sample warms up
      MPI_Barrier(comm);
      const double t = seconds_of([&] {
        for (int i = 0; i < iterations; ++i) {
          if (rank == 0) {
            MPI_Send(buf.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, comm);
            MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, comm, MPI_STATUS_IGNORE);
          } else if (rank == 1) {
            MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, comm, MPI_STATUS_IGNORE);
            MPI_Send(buf.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, comm);
          }
        }
      });
      if (s > 0) one_way.push_back(t / (2.0 * iterations));
    }
    MPI_Bcast(one_way.data(), static_cast<int>(one_way.size()), MPI_DOUBLE, 0, comm);
    return one_way;
  };
  auto lat = pingpong(8, quick ? 100 : 2000, quick ? 3 : 9);
  for (auto& v : lat) v *= 1e6;
  out.mpi_latency_us = spread_of(lat);
  out.mpi_message_bytes = 1 << 20;
  auto bw = pingpong(out.mpi_message_bytes, quick ? 2 : 10, quick ? 3 : 7);
  for (auto& v : bw) v = double(out.mpi_message_bytes) / v / 1e9;
  out.mpi_bandwidth_GBps = spread_of(bw);

  // All-to-all as the Switch layer meets it: right after a compute phase (each rank busy for
  // `burst` seconds of sgemm calls), then a barrier, then the timed MPI_Alltoall (slowest rank).
  // On a shared machine a rank that just used up its time slice may be descheduled while its
  // peer waits, and that cost belongs to the all-to-all. Two sizes separate the fixed cost
  // (latency) from the per-byte cost (bandwidth).
  const double burst = quick ? 0.001 : 0.02;
  std::vector<float> ga(128 * 128, 0.5F), gb(128 * 128, 0.25F), gc(128 * 128, 0.0F);
  auto alltoall_after_compute = [&](std::int64_t bytes, int samples) {
    std::vector<char> send(static_cast<std::size_t>(bytes * size), 1), recv(send.size());
    std::vector<double> times;
    for (int s = 0; s < samples + 1; ++s) {  // the first sample warms up
      double busy = 0;
      while (busy < burst)
        busy += seconds_of([&] { sgemm(false, false, 128, 128, 128, 1.0F, ga.data(), gb.data(), 0.0F, gc.data()); });
      MPI_Barrier(comm);
      double t = seconds_of([&] {
        MPI_Alltoall(send.data(), static_cast<int>(bytes), MPI_CHAR, recv.data(), static_cast<int>(bytes), MPI_CHAR,
                     comm);
      });
      double worst = 0;
      MPI_Allreduce(&t, &worst, 1, MPI_DOUBLE, MPI_MAX, comm);
      if (s > 0) times.push_back(worst * 1e6);
    }
    return spread_of(times);
  };
  out.mpi_alltoall_small_bytes = 16 << 10;
  out.alltoall_small_us = alltoall_after_compute(out.mpi_alltoall_small_bytes, quick ? 3 : 15);
  out.mpi_alltoall_bytes = quick ? (256 << 10) : (4 << 20);
  out.alltoall_us = alltoall_after_compute(out.mpi_alltoall_bytes, quick ? 3 : 15);
}

nlohmann::json device_json(const CalibrationResult& r, const std::string& name) {
  if (r.gemm.empty()) throw std::invalid_argument("device_json: no GEMM samples");
  double peak = 0;
  for (const auto& g : r.gemm) peak = std::max(peak, g.gflops.median);
  // The largest shape of the grid stands for "large GEMMs".
  const auto largest = std::max_element(r.gemm.begin(), r.gemm.end(), [](const GemmSample& a, const GemmSample& b) {
    return a.m * a.n * a.k < b.m * b.n * b.k;
  });
  auto eff = [peak](double gflops) { return std::clamp(round_to(gflops / peak, 4), 0.01, 1.0); };
  nlohmann::json table = nlohmann::json::array();
  for (const auto& g : r.gemm)
    table.push_back({{"m", g.m}, {"n", g.n}, {"k", g.k}, {"efficiency", eff(g.gflops.median)},
                     {"efficiency_lo", eff(g.gflops.lo)}, {"efficiency_hi", eff(g.gflops.hi)}});
  const double best_stream = r.stream_GBps.hi;
  const std::string by = fmt::format("measured by switchsim calibrate{} on {} {}", r.quick ? " --quick" : "",
                                     r.host.host, r.host.date_utc);
  const std::string where = fmt::format("{} ({}, {} cores, load {})", by, r.host.cpu_model, r.host.cores,
                                        r.host.load_average);
  const double peak_tflops = round_to(peak / 1e3, 6);
  return nlohmann::json{
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
      {"gemm_tile", 64},
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
         fmt::format("{}: p90 of memcpy and scale kernels over {} bytes read+written (single thread)", where,
                     r.stream_bytes)},
        {"gemm_efficiency", fmt::format("{}: median sgemm rate of the largest grid shape / peak; table per shape, "
                                        "_lo/_hi from p10/p90 of repeats",
                                        where)},
        {"gemm_efficiency_table", fmt::format("{}: median/p10/p90 sgemm rate per (m, n, k) / peak", where)},
        {"memory_efficiency", fmt::format("{}: median / p90 of the streaming kernels", where)},
        {"gemm_tile", "assumption: OpenBLAS blocks are of the order of 64 rows; CPUs have no wave quantization"},
        {"kernel_overhead_us", fmt::format("{}: time of a 1x1x1 sgemm call", where)}}}};
}

nlohmann::json cluster_json(const CalibrationResult& r, const std::string& name, const std::string& device_name) {
  auto device = device_json(r, device_name);
  device.erase("type");
  // The layer's all-to-all costs t(bytes) = fixed + (n-1) * bytes / B (closed form on a crossbar:
  // latency = two link latencies). From the two sizes measured after a compute burst:
  // fixed = the small exchange's time, B = (n-1) * (big - small bytes) / (t_big - t_small); when
  // the difference is lost in the noise (t_big <= t_small), B = (n-1) * big / t_big. Times are
  // MEANS of the samples: on a shared machine they are bimodal (both ranks running: tens of us;
  // one descheduled: a time slice), and the layer's step adds four exchanges, so what it pays
  // on average is the mean, not the median of one exchange.
  const double fixed_us = r.alltoall_small_us.mean;
  const double link_latency_us = round_to(fixed_us / 2.0, 4);
  auto alltoall_GBps = [&](double t_us) {
    const double extra_s = (t_us - fixed_us) * 1e-6;
    const double extra_bytes = static_cast<double>(r.ranks - 1) *
                               static_cast<double>(r.mpi_alltoall_bytes - r.mpi_alltoall_small_bytes);
    if (extra_s > 0) return extra_bytes / extra_s / 1e9;
    return static_cast<double>(r.ranks - 1) * static_cast<double>(r.mpi_alltoall_bytes) / (t_us * 1e-6) / 1e9;
  };
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
        {"link_bandwidth_GBps", round_to(alltoall_GBps(r.alltoall_us.mean), 4)},
        {"link_latency_us", link_latency_us}}},
      {"sources",
       {{"topology",
         fmt::format("{}: MPI ranks on one host modelled as a non-blocking crossbar; link bandwidth = (n-1) x "
                     "({} - {}) bytes per peer / (difference of the mean MPI_Alltoall times, each right after a "
                     "compute burst) (lo {:.3f}, hi {:.3f} GB/s from the p90/p10 times); link latency = half the "
                     "mean time of the {}-byte exchange ({:.2f} us, p10 {:.2f}, p90 {:.2f}); one-way pingpong of "
                     "{}-byte messages: {:.3f} GB/s (p10 {:.3f}, p90 {:.3f}); one-way 8-byte latency {:.3f} us "
                     "(p10 {:.3f}, p90 {:.3f})",
                     by, r.mpi_alltoall_bytes, r.mpi_alltoall_small_bytes, alltoall_GBps(r.alltoall_us.hi),
                     alltoall_GBps(r.alltoall_us.lo), r.mpi_alltoall_small_bytes, r.alltoall_small_us.mean,
                     r.alltoall_small_us.lo, r.alltoall_small_us.hi,
                     r.mpi_message_bytes, r.mpi_bandwidth_GBps.median, r.mpi_bandwidth_GBps.lo,
                     r.mpi_bandwidth_GBps.hi, r.mpi_latency_us.median, r.mpi_latency_us.lo, r.mpi_latency_us.hi)},
        {"alltoall", fmt::format("{}: MPI_Alltoall of {} bytes per peer: median {:.2f} us (p10 {:.2f}, p90 {:.2f})", by,
                                 r.mpi_alltoall_bytes, r.alltoall_us.median, r.alltoall_us.lo, r.alltoall_us.hi)}}}};
}

}  // namespace switchsim::ref::cpu
