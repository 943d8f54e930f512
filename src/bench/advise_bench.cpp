// Speed of `switchsim advise` (issue 10): the default search space for switch-base on
// h100-fat-tree-1024 (experts 8..256, five capacity factors, top-1 and top-2, every fitting
// layout) with the closed-form network, on two worker threads. Goal: < 60 s on 2 cores.

#include <fmt/format.h>

#include <memory>

#include "advise/recommend.hpp"
#include "advise/search.hpp"
#include "bench/benchmark.hpp"
#include "comm/closed_form.hpp"
#include "config/catalog.hpp"
#include "model/comm_model.hpp"

namespace switchsim::bench {
Benchmark advise_benchmark() {
  return Benchmark{"advise", "advise switch-base on h100-fat-tree-1024, 2 threads (goal < 60 s on 2 cores)",
                   [](bool quick) {
                     const auto catalog = config::Catalog::from_environment();
                     advise::SearchSpec spec;
                     spec.model = advise::family_model(catalog, "switch-base");
                     spec.cluster = "h100-fat-tree-1024";
                     if (quick) {
                       spec.experts = {8, 16};
                       spec.capacity_factors = {1.0, 1.25};
                       spec.top_ks = {1};
                     }
                     const auto se_path = advise::shipped_sample_efficiency(catalog.data_dir(), "switch-base");
                     const auto se = advise::load_sample_efficiency(se_path);
                     std::size_t points = 0, frontier = 0;
                     const double goal_s = 60.0;
                     const double seconds = time_seconds([&] {
                       auto candidates = advise::search(spec, advise::Limits{}, &se, catalog, comm::closed_form_comm, 2, {});
                       points = candidates.size();
                       frontier = advise::recommend(std::move(candidates), std::nullopt, &se, spec.routing).frontier.size();
                     });
                     fmt::print("advise/switch-base  cluster=h100-fat-tree-1024{}  points={}  frontier={}  wall_s={:.2f}  "
                                "points_per_s={:.1f}  goal_s={:.0f}  goal_ratio={:.2f}\n",
                                quick ? " (quick: experts 8,16, cf 1.0,1.25, top-1)" : "", points, frontier, seconds,
                                static_cast<double>(points) / seconds, goal_s, seconds / goal_s);
                   }};
}

}  // namespace switchsim::bench
