// net/drain_clock.hpp: a flow's bytes drain linearly between rate changes, its finish is
// rounded up to the picosecond, and setting the rate it already has changes nothing.

#include <catch2/catch.hpp>

#include <limits>

#include "net/drain_clock.hpp"

using namespace switchsim;

TEST_CASE("a drain clock finishes at bytes over rate, moves its finish when the rate changes, and keeps it when not") {
  auto c = net::DrainClock::start(1'000'000.0, Picoseconds(0));
  // 1 MB at 1 GB/s: 1 ms, rounded up (1e6 / 1e9 is not exact in binary: 1 ms or 1 ps more).
  const auto near = [](Picoseconds finish, std::int64_t exact_ps) {
    return finish.count() >= exact_ps && finish.count() <= exact_ps + 1;
  };
  CHECK(c.set_rate(1e9, Picoseconds(0)));
  CHECK(near(c.finish, 1'000'000'000));
  // Set again at 0.25 ms to the same rate: nothing moves (no bytes subtracted, same finish).
  CHECK_FALSE(c.set_rate(1e9, Picoseconds(250'000'000)));
  CHECK(c.since == Picoseconds(0));
  CHECK(c.remaining == 1'000'000.0);
  // At 0.5 ms, 500 kB left; at 2 GB/s it takes 0.25 ms more: finish 0.75 ms.
  CHECK(c.set_rate(2e9, Picoseconds(500'000'000)));
  CHECK(c.since == Picoseconds(500'000'000));
  CHECK(c.remaining == Approx(500'000.0));
  CHECK(near(c.finish, 750'000'000));
  // Within kCompletionSlack (2 ps) of an event it finishes at that event, not earlier.
  CHECK(c.finishes_by(c.finish - Picoseconds(2)));
  CHECK_FALSE(c.finishes_by(c.finish - Picoseconds(3)));
}

TEST_CASE("a drain clock rounds a finish up to the next picosecond and finishes an unconstrained flow at once") {
  // 1 byte at 3e12 B/s: a third of a picosecond, rounded up to 1 ps.
  auto c = net::DrainClock::start(1.0, Picoseconds(10));
  c.set_rate(3e12, Picoseconds(10));
  CHECK(c.finish == Picoseconds(11));
  // A flow using no link gets rate +infinity: it finishes when the rate is set.
  auto free_flow = net::DrainClock::start(5e9, Picoseconds(7));
  free_flow.set_rate(std::numeric_limits<double>::infinity(), Picoseconds(7));
  CHECK(free_flow.finish == Picoseconds(7));
}
