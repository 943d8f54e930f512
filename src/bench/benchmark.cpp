#include "bench/benchmark.hpp"

#include <sys/resource.h>

#include <chrono>

namespace switchsim::bench {

double time_seconds(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  const auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(end - start).count();
}

double peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;  // Linux reports KiB
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<Benchmark> all_benchmarks() {
  return {engine_benchmark(), fuzz_benchmark(), json_benchmark(), net_benchmark(), kernels_benchmark(), sweep_benchmark(),
          simulate_benchmark(), advise_benchmark()};
}

}  // namespace switchsim::bench
