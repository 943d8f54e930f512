// Engine throughput: raw events through the queue, and tasks through the executor.
// Goal (issue 3): >= 5 M events/s on one core.

#include <fmt/format.h>

#include <cstdint>

#include "bench/benchmark.hpp"
#include "engine/event_queue.hpp"
#include "engine/executor.hpp"

namespace switchsim::bench {
namespace {

constexpr double kGoalEventsPerSecond = 5e6;

// A steady population of pending events, each re-scheduling one successor at a
// pseudo-random delay: the heap stays at `population` entries, as in a busy simulation.
double raw_queue_rate(std::uint64_t events, std::uint32_t population) {
  engine::EventQueue queue;
  std::uint64_t remaining = events;
  std::uint64_t lcg = 12345;
  std::function<void()> step;
  step = [&] {
    if (remaining == 0) return;
    --remaining;
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    queue.schedule_after(Picoseconds(static_cast<std::int64_t>(lcg >> 44)), static_cast<std::int32_t>(lcg & 3),
                         [&] { step(); });
  };
  for (std::uint32_t i = 0; i < population; ++i) step();
  const double seconds = time_seconds([&] { queue.run(); });
  return static_cast<double>(queue.processed()) / seconds;
}

// Layers of tasks on serial resources, each task depending on two tasks of the previous layer.
double executor_rate(std::uint32_t layers, std::uint32_t width, std::uint64_t& events_out) {
  engine::TaskGraph graph;
  std::vector<engine::ResourceId> streams;
  for (std::uint32_t r = 0; r < 8; ++r) streams.push_back(graph.add_resource(fmt::format("stream{}", r)));
  std::vector<engine::TaskId> previous;
  for (std::uint32_t l = 0; l < layers; ++l) {
    std::vector<engine::TaskId> current;
    for (std::uint32_t w = 0; w < width; ++w) {
      const auto id = graph.add_task("t", "bench", streams[w % streams.size()], Picoseconds(1000 + (w * 37 + l) % 500));
      if (!previous.empty()) {
        graph.add_dependency(previous[w], id);
        graph.add_dependency(previous[(w + 1) % width], id);
      }
      current.push_back(id);
    }
    previous = std::move(current);
  }
  engine::EventQueue queue;
  engine::Executor executor(graph, queue);
  const double seconds = time_seconds([&] { executor.run(); });
  events_out = queue.processed();
  return static_cast<double>(queue.processed()) / seconds;
}

}  // namespace

Benchmark engine_benchmark() {
  return Benchmark{"engine", "event queue and task executor throughput (goal >= 5 M events/s on one core)",
                   [](bool quick) {
                     const std::uint64_t events = quick ? 200'000 : 10'000'000;
                     const double raw = raw_queue_rate(events, 1024);
                     fmt::print("engine/raw_queue      events={:<10} population=1024  events_per_s={:.3e}  goal_ratio={:.2f}\n",
                                events, raw, raw / kGoalEventsPerSecond);
                     std::uint64_t executor_events = 0;
                     const double dag = executor_rate(quick ? 100 : 2000, 256, executor_events);
                     fmt::print("engine/task_executor  events={:<10} tasks/layer=256  events_per_s={:.3e}  goal_ratio={:.2f}\n",
                                executor_events, dag, dag / kGoalEventsPerSecond);
                   }};
}

}  // namespace switchsim::bench
