#pragma once
// Benchmarks print ratios and rates against stated goals; they are never timed tests.

#include <functional>
#include <string>
#include <vector>

namespace switchsim::bench {

struct Benchmark {
  std::string name;
  std::string description;
  // Runs the benchmark, prints its table to stdout; `quick` shrinks it for smoke runs in CI.
  std::function<void(bool quick)> run;
};

std::vector<Benchmark> all_benchmarks();

// Wall-clock seconds of fn().
double time_seconds(const std::function<void()>& fn);
// This process's peak resident memory so far, in bytes.
double peak_rss_bytes();
// CPU seconds this process has used so far, every thread, user + system: on a shared machine
// the wall time includes waiting for a core, the CPU time does not.
double process_cpu_seconds();

// Individual benchmarks (one file each).
Benchmark engine_benchmark();
Benchmark fuzz_benchmark();
Benchmark json_benchmark();
Benchmark sweep_benchmark();
Benchmark net_benchmark();
Benchmark kernels_benchmark();
Benchmark simulate_benchmark();
Benchmark advise_benchmark();

}  // namespace switchsim::bench
