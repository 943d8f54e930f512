// Training-step simulation speed with the flow-level network (issues 5 and 17): one
// Switch-Base-128 step on h100-fat-tree-1024 and one Switch-C-2048 step on h100-fat-tree-2048
// (2,048 GPUs, one expert each), every collective on the step's one shared network
// (co-simulated: the gradient all-reduces contend with the all-to-alls for links; goals
// <= 1 s and <= 5 s, issue 17; `co_simulated` says whether the step needed the shared network
// or its collectives never overlapped). Times include loading the
// configs, building the topology and routes, and the step. The "plain" row times every
// round of every collective (no repeated-round shortcut, no sealed all-to-all rounds), the
// reference the shortcuts must match: its step time must be the same picoseconds.
// `sealed` / `opened`: seals (all-to-all rounds started together on an idle network, timed
// class by class as one) and those a later start opened into flows (net/network.hpp).

#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "bench/benchmark.hpp"
#include "comm/flow_comm.hpp"
#include "config/catalog.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"

namespace switchsim::bench {
namespace {

struct Case {
  std::string model;
  std::string cluster;
  double goal_s = 0.0;
  std::int64_t batch_tokens = 1 << 20;
};

Picoseconds run_case(const Case& c, bool collapse, std::optional<Picoseconds> reference = std::nullopt) {
  model::StepResult result;
  std::uint64_t solves = 0, sealed = 0, opened = 0, as_classes = 0, refined = 0;
  bool co_simulated = false;
  std::int64_t devices = 0;
  const double cpu_before = process_cpu_seconds();
  const double seconds = time_seconds([&] {
    model::Scenario s;
    s.model = c.model;
    s.cluster = c.cluster;
    s.batch_tokens = c.batch_tokens;
    const auto inputs = model::make_inputs(s, config::Catalog::from_environment());
    devices = inputs.cluster.devices;
    comm::FlowComm flow(inputs.cluster, {}, net::ConcurrentOptions{collapse});
    result = model::simulate_step(inputs, flow);
    solves = flow.solves();
    sealed = flow.sealed_rounds();
    opened = flow.opened_rounds();
    as_classes = flow.class_openings();
    refined = flow.refinements();
    co_simulated = flow.co_simulated_steps() > 0;
  });
  const double cpu = process_cpu_seconds() - cpu_before;
  std::string check;
  if (reference) {
    // Symmetry reduction (net/symmetry.hpp) may end a round a picosecond apart from per-flow.
    const auto diff = result.step_time.count() - reference->count();
    check = fmt::format("  diff_vs_plain_ps={}  same_as_plain={}", diff,
                        std::abs(static_cast<double>(diff)) <= 1e-9 * static_cast<double>(reference->count()) ? "yes" : "NO");
  }
  fmt::print("simulate/{:<16} {:<20} devices={:<5} rounds={:<9} wall_s={:<8.3f} cpu_s={:<8.3f} goal_s={:<3.0f} goal_ratio={:<6.2f} "
             "tasks={:<6} solves={:<7} sealed={:<4} opened={:<4} as_classes={:<4} refined={:<4} co_simulated={} step_time_ms={:.3f} peak_rss_GB={:.3f}{}\n",
             c.model, c.cluster, devices, collapse ? "collapsed" : "plain", seconds, cpu, c.goal_s, seconds / c.goal_s,
             result.tasks, solves, sealed, opened, as_classes, refined, co_simulated ? "yes" : "no", result.step_time.seconds() * 1e3, peak_rss_bytes() / 1e9, check);
  return result.step_time;
}

}  // namespace

Benchmark simulate_benchmark() {
  return Benchmark{"simulate",
                   "one training step, every collective on one shared flow network: Switch-Base-128 on 1,024 GPUs "
                   "(goal <= 1 s), Switch-C-2048 on 2,048 GPUs (goal <= 5 s); --quick: Switch-Base-8 on 8 GPUs",
                   [](bool quick) {
                     if (quick) {
                       const Case small{"switch-base-8", "dgx-h100-8", 2.0, 1 << 16};
                       const auto plain = run_case(small, false);
                       run_case(small, true, plain);
                       return;
                     }
                     const Case base{"switch-base-128", "h100-fat-tree-1024", 1.0};
                     const auto plain = run_case(base, false);
                     run_case(base, true, plain);
                     run_case(Case{"switch-c-2048", "h100-fat-tree-2048", 5.0}, true);
                   }};
}

}  // namespace switchsim::bench
