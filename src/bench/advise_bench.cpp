// Speed of `switchsim advise` (issues 10 and 19): switch-base on h100-fat-tree-1024 with the
// larger search space (global batches 2^19, 2^20, 2^21 tokens x top-1, top-2 x experts 8..256
// x five capacity factors x every fitting layout x remat none, attention, full x dispatch
// einsum, scatter, grouped x microbatches auto), the closed-form network, on two worker
// threads. Goal: < 60 s on 2 cores. The machine running it may be shared (then the wall time
// counts other work too), so beside the wall time it prints the process's CPU seconds
// (getrusage, every thread, user + system) and takes a second ratio on cpu / 2: the time on two
// idle cores when the work spreads over both (the serial part, building and pruning the points,
// makes it a slight underestimate). Prints points (all, simulated, rejected on memory before
// simulating), points/s and both ratios to the goal.

#include <fmt/format.h>

#include <memory>

#include "advise/advice_output.hpp"
#include "advise/recommend.hpp"
#include "advise/search.hpp"
#include "bench/benchmark.hpp"
#include "comm/closed_form.hpp"
#include "config/catalog.hpp"
#include "model/comm_model.hpp"

namespace switchsim::bench {
Benchmark advise_benchmark() {
  return Benchmark{
      "advise",
      "advise switch-base on h100-fat-tree-1024, larger space (batch, top-k, remat, dispatch, microbatches auto), 2 threads "
      "(goal < 60 s on 2 cores)",
      [](bool quick) {
        const auto catalog = config::Catalog::from_environment();
        advise::SearchSpec spec;
        spec.model = advise::family_model(catalog, "switch-base");
        spec.cluster = "h100-fat-tree-1024";
        spec.batch_tokens = {1 << 19, 1 << 20, 1 << 21};
        spec.remat = {"none", "attention", "full"};
        spec.dispatch = {"einsum", "scatter", "grouped"};
        if (quick) {
          spec.experts = {8, 16};
          spec.capacity_factors = {1.0, 1.25};
          spec.top_ks = {1};
          spec.batch_tokens = {1 << 20};
          spec.remat = {"none", "full"};
          spec.dispatch = {"scatter"};
        }
        const auto se_path = advise::shipped_sample_efficiency(catalog.data_dir(), "switch-base");
        const auto se = advise::load_sample_efficiency(se_path);
        const advise::Limits limits;
        const int threads = 2;
        std::size_t points = 0, simulated = 0, before = 0, frontier = 0;
        const double goal_s = 60.0;
        const double cpu_start = process_cpu_seconds();
        const double wall_s = time_seconds([&] {
          auto candidates = advise::search(spec, limits, &se, catalog, comm::closed_form_comm, threads, {});
          points = candidates.size();
          for (const auto& c : candidates) simulated += c.simulated ? 1 : 0;
          before = advise::memory_rejected_before_simulating(candidates);
          frontier = advise::recommend(std::move(candidates), std::nullopt, &se, spec.routing, limits).frontier.size();
        });
        const double cpu_s = process_cpu_seconds() - cpu_start;
        const double two_core_s = cpu_s / threads;  // on two idle cores, the work spread over both
        fmt::print("advise/switch-base  cluster=h100-fat-tree-1024{}  points={}  simulated={}  "
                   "memory_rejected_before_simulating={}  frontier={}  threads={}  wall_s={:.2f}  cpu_s={:.2f} "
                   "(getrusage, all threads; the machine may be shared)  two_core_s={:.2f} (cpu / 2)  points_per_s={:.1f}  "
                   "points_per_cpu_s={:.1f}  goal_s={:.0f}  goal_ratio_wall={:.2f}  goal_ratio_cpu={:.2f} (two_core_s / goal)\n",
                   quick ? " (quick: experts 8,16, cf 1.0,1.25, top-1, batch 2^20, remat none,full, dispatch scatter)"
                         : " (batches 2^19..2^21, top-1,2, experts 8..256, cf 0.5..2, remat none,attention,full, "
                           "dispatch einsum,scatter,grouped, microbatches auto)",
                   points, simulated, before, frontier, threads, wall_s, cpu_s, two_core_s,
                   static_cast<double>(points) / wall_s, static_cast<double>(points) / cpu_s, goal_s, wall_s / goal_s,
                   two_core_s / goal_s);
      }};
}

}  // namespace switchsim::bench
