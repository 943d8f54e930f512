#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/event_queue.hpp"
#include "engine/executor.hpp"

using namespace switchsim;
using namespace switchsim::engine;
using namespace switchsim::literals;

TEST_CASE("events at the same time pop by priority, then by insertion order") {
  EventQueue q;
  std::vector<std::string> order;
  q.schedule(10_ps, 1, [&] { order.push_back("t10 p1 first"); });
  q.schedule(10_ps, 0, [&] { order.push_back("t10 p0"); });
  q.schedule(5_ps, 7, [&] { order.push_back("t5"); });
  q.schedule(10_ps, 1, [&] { order.push_back("t10 p1 second"); });
  q.run();
  CHECK(order == std::vector<std::string>{"t5", "t10 p0", "t10 p1 first", "t10 p1 second"});
  CHECK(q.now() == 10_ps);
  CHECK(q.processed() == 4);
}

TEST_CASE("an event scheduled with a reserved sequence number sorts among ties where it was reserved") {
  EventQueue q;
  std::vector<std::string> order;
  q.schedule(10_ps, 0, [&] { order.push_back("before"); });
  const auto reserved = q.reserve_sequence();
  q.schedule(10_ps, 0, [&] { order.push_back("after"); });
  q.schedule_reserved(10_ps, 0, reserved, [&] { order.push_back("reserved"); });
  CHECK_THROWS_AS(q.schedule_reserved(10_ps, 0, reserved + 5, [] {}), std::logic_error);  // never handed out
  q.run();
  CHECK(order == std::vector<std::string>{"before", "reserved", "after"});
}

TEST_CASE("an event scheduled in the past is a logic error") {
  EventQueue q;
  q.schedule(100_ps, 0, [&] { CHECK_THROWS_AS(q.schedule(50_ps, 0, [] {}), std::logic_error); });
  q.run();
}

TEST_CASE("events scheduled from handlers run in time order") {
  EventQueue q;
  std::vector<std::int64_t> times;
  q.schedule(0_ps, 0, [&] {
    q.schedule_after(30_ps, 0, [&] { times.push_back(q.now().count()); });
    q.schedule_after(10_ps, 0, [&] { times.push_back(q.now().count()); });
  });
  q.run();
  CHECK(times == std::vector<std::int64_t>{10, 30});
}

// A diamond: A (10) -> B (20), C (30) on separate streams -> D (5).
// Hand-computed: B ends at 30, C ends at 40, D starts at 40 and ends at 45.
namespace {
// A (10 ps) -> B (20 ps) and C (30 ps) -> D (5 ps); A, B, D on stream s0, C on s1.
struct Diamond {
  TaskGraph g;
  TaskId a, b, c, d;
};
Diamond diamond_on_two_streams() {
  Diamond x;
  const auto s0 = x.g.add_resource("s0");
  const auto s1 = x.g.add_resource("s1");
  x.a = x.g.add_task("A", "x", s0, 10_ps);
  x.b = x.g.add_task("B", "x", s0, 20_ps);
  x.c = x.g.add_task("C", "x", s1, 30_ps);
  x.d = x.g.add_task("D", "x", s0, 5_ps);
  x.g.add_dependency(x.a, x.b);
  x.g.add_dependency(x.a, x.c);
  x.g.add_dependency(x.b, x.d);
  x.g.add_dependency(x.c, x.d);
  return x;
}
}  // namespace

TEST_CASE("a diamond DAG on separate streams finishes at 10 + max(20, 30) + 5 = 45 ps") {
  const auto [g, a, b, c, d] = diamond_on_two_streams();
  EventQueue q;
  Recorder rec;
  Executor ex(g, q, &rec);
  CHECK(ex.run() == 45_ps);
  CHECK(ex.finish_time(b) == 30_ps);
  CHECK(ex.finish_time(c) == 40_ps);
  REQUIRE(rec.records().size() == 4);
  CHECK(rec.records().back().task == d);
  CHECK(rec.records().back().start == 40_ps);
}

TEST_CASE("the executor reports progress once per finished task, in the order the recorder sees them") {
  const auto [g, a, b, c, d] = diamond_on_two_streams();
  EventQueue q;
  Recorder rec;
  Executor ex(g, q, &rec);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  std::vector<TaskId> recorded_at_call;
  ex.on_progress([&](std::size_t finished, std::size_t total) {
    calls.emplace_back(finished, total);
    recorded_at_call.push_back(rec.records().back().task);
  });
  ex.run();
  // A at 10, B at 30, C at 40, D at 45: four calls, 1..4 of 4, each after its task was recorded.
  CHECK(calls == std::vector<std::pair<std::size_t, std::size_t>>{{1, 4}, {2, 4}, {3, 4}, {4, 4}});
  CHECK(recorded_at_call == std::vector<TaskId>{a, b, c, d});
}

TEST_CASE("the same diamond on one stream serializes: 10 + 20 + 30 + 5 = 65 ps") {
  TaskGraph g;
  const auto s = g.add_resource("s");
  const auto a = g.add_task("A", "x", s, 10_ps);
  const auto b = g.add_task("B", "x", s, 20_ps);
  const auto c = g.add_task("C", "x", s, 30_ps);
  const auto d = g.add_task("D", "x", s, 5_ps);
  g.add_dependency(a, b);
  g.add_dependency(a, c);
  g.add_dependency(b, d);
  g.add_dependency(c, d);
  EventQueue q;
  Executor ex(g, q);
  CHECK(ex.run() == 65_ps);
  // B was made ready before C (it was added to A's successors first), so it runs first.
  CHECK(ex.finish_time(b) == 30_ps);
  CHECK(ex.finish_time(c) == 60_ps);
}

TEST_CASE("tasks without a resource overlap freely") {
  TaskGraph g;
  g.add_task("A", "x", std::nullopt, 10_ps);
  g.add_task("B", "x", std::nullopt, 25_ps);
  EventQueue q;
  CHECK(Executor(g, q).run() == 25_ps);
}

TEST_CASE("an external task ends when its model says so") {
  TaskGraph g;
  const auto s = g.add_resource("s");
  EventQueue q;
  const auto a = g.add_task("A", "x", s, 10_ps);
  const auto net = g.add_external("net", "comm", std::nullopt, [&](TaskId, std::function<void()> done) {
    q.schedule_after(100_ps, 0, std::move(done));
  });
  const auto b = g.add_task("B", "x", s, 1_ps);
  g.add_dependency(a, net);
  g.add_dependency(net, b);
  CHECK(Executor(g, q).run() == 111_ps);
}

TEST_CASE("a cycle is reported, not silently ignored") {
  TaskGraph g;
  const auto a = g.add_task("A", "x", std::nullopt, 1_ps);
  const auto b = g.add_task("B", "x", std::nullopt, 1_ps);
  g.add_dependency(a, b);
  g.add_dependency(b, a);
  EventQueue q;
  CHECK_THROWS_AS(Executor(g, q).run(), std::logic_error);
}

TEST_CASE("a task cannot depend on itself or have a negative duration") {
  TaskGraph g;
  const auto a = g.add_task("A", "x", std::nullopt, 1_ps);
  CHECK_THROWS(g.add_dependency(a, a));
  CHECK_THROWS(g.add_task("bad", "x", std::nullopt, Picoseconds(-1)));
}
