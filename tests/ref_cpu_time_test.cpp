// ref/cpu/cpu_time: the machine's busy and elapsed CPU ticks from /proc/stat's "cpu" line.

#include <catch2/catch.hpp>

#include "ref/cpu/cpu_time.hpp"

using switchsim::ref::cpu::parse_proc_stat;

TEST_CASE("/proc/stat's cpu line: busy is user+nice+system+irq+softirq+steal, elapsed adds idle and iowait") {
  // user 100, nice 2, system 30, idle 800, iowait 8, irq 1, softirq 4, steal 5; guest 50 and
  // guest_nice 0 are inside user and nice already. busy = 100+2+30+1+4+5 = 142; elapsed = 142+800+8 = 950.
  const auto t = parse_proc_stat("cpu  100 2 30 800 8 1 4 5 50 0\ncpu0 50 1 15 400 4 0 2 2 25 0\nintr 12345\n");
  REQUIRE(t.has_value());
  CHECK(t->busy == 142);
  CHECK(t->elapsed == 950);
  // A kernel that writes only user nice system idle: busy 132, elapsed 932.
  const auto old = parse_proc_stat("cpu 100 2 30 800\n");
  REQUIRE(old.has_value());
  CHECK(old->busy == 132);
  CHECK(old->elapsed == 932);
  // The per-CPU lines are not the total; nothing usable is nullopt.
  CHECK_FALSE(parse_proc_stat("cpu0 1 2 3 4 5 6 7 8\n").has_value());
  CHECK_FALSE(parse_proc_stat("cpu 1 2\n").has_value());
  CHECK_FALSE(parse_proc_stat("").has_value());
}

TEST_CASE("this machine's /proc/stat reads, its elapsed ticks grow with time, and own CPU time grows with work") {
  const auto before = switchsim::ref::cpu::read_proc_stat();
  const double own_before = switchsim::ref::cpu::own_cpu_seconds();
  volatile double sink = 0;
  for (int i = 0; i < 20'000'000; ++i) sink = sink + 1e-9 * i;  // ~20 ms of one core
  const auto after = switchsim::ref::cpu::read_proc_stat();
  REQUIRE(before.has_value());  // CI runs on Linux
  REQUIRE(after.has_value());
  CHECK(after->elapsed >= before->elapsed);
  CHECK(after->busy >= before->busy);
  CHECK(after->busy - before->busy <= after->elapsed - before->elapsed);
  CHECK(switchsim::ref::cpu::own_cpu_seconds() > own_before);
  CHECK(switchsim::ref::cpu::clock_ticks_per_second() > 0);
}
