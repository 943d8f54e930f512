// Speed of `switchsim advise` (issues 10 and 19): switch-base on h100-fat-tree-1024 with the
// larger search space (global batches 2^19, 2^20, 2^21 tokens x top-1, top-2 x experts 8..256
// x five capacity factors x every fitting layout x microbatches auto), the closed-form
// network, on two worker threads. Goal: < 60 s on 2 cores. Prints points (all, simulated,
// rejected on memory before simulating), points/s and the ratio to the goal.

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
  return Benchmark{"advise", "advise switch-base on h100-fat-tree-1024, larger space, 2 threads (goal < 60 s on 2 cores)",
                   [](bool quick) {
                     const auto catalog = config::Catalog::from_environment();
                     advise::SearchSpec spec;
                     spec.model = advise::family_model(catalog, "switch-base");
                     spec.cluster = "h100-fat-tree-1024";
                     spec.batch_tokens = {1 << 19, 1 << 20, 1 << 21};
                     if (quick) {
                       spec.experts = {8, 16};
                       spec.capacity_factors = {1.0, 1.25};
                       spec.top_ks = {1};
                       spec.batch_tokens = {1 << 20};
                     }
                     const auto se_path = advise::shipped_sample_efficiency(catalog.data_dir(), "switch-base");
                     const auto se = advise::load_sample_efficiency(se_path);
                     const advise::Limits limits;
                     std::size_t points = 0, simulated = 0, before = 0, frontier = 0;
                     const double goal_s = 60.0;
                     const double seconds = time_seconds([&] {
                       auto candidates = advise::search(spec, limits, &se, catalog, comm::closed_form_comm, 2, {});
                       points = candidates.size();
                       for (const auto& c : candidates) simulated += c.simulated ? 1 : 0;
                       before = advise::memory_rejected_before_simulating(candidates);
                       frontier = advise::recommend(std::move(candidates), std::nullopt, &se, spec.routing, limits)
                                      .frontier.size();
                     });
                     fmt::print("advise/switch-base  cluster=h100-fat-tree-1024{}  points={}  simulated={}  "
                                "memory_rejected_before_simulating={}  frontier={}  wall_s={:.2f}  points_per_s={:.1f}  "
                                "goal_s={:.0f}  goal_ratio={:.2f}\n",
                                quick ? " (quick: experts 8,16, cf 1.0,1.25, top-1, batch 2^20)"
                                      : " (batches 2^19..2^21, top-1,2, experts 8..256, cf 0.5..2, microbatches auto)",
                                points, simulated, before, frontier, seconds, static_cast<double>(points) / seconds, goal_s,
                                seconds / goal_s);
                   }};
}

}  // namespace switchsim::bench
