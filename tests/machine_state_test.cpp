// validate/machine_state: a busy or drifting machine is detected and said in one line each.

#include <catch2/catch.hpp>

#include <cmath>

#include "validate/machine_state.hpp"

using namespace switchsim::validate;

TEST_CASE("the one-minute load is the first field of /proc/loadavg") {
  CHECK(one_minute_load("5.20 3.10 1.00") == 5.2);
  CHECK_FALSE(one_minute_load("unknown").has_value());
  CHECK_FALSE(one_minute_load("").has_value());
}

TEST_CASE("a machine whose other work exceeds half its cores is busy, and the line says the load and the cores") {
  MachineState s;
  s.cores = 2;
  s.own_threads = 2;
  s.load_before = 0.3;
  s.load_after = 2.8;  // others: max(0.3, 2.8 - 2) = 0.8 <= 1: quiet (the run's own two threads)
  CHECK(machine_warnings(s).empty());
  CHECK(to_json(s)["busy"] == false);
  s.load_before = 5.2;  // others 5.2 > 1
  const auto w = machine_warnings(s);
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::StartsWith("machine busy: load 5.2 on 2 cores"));
  CHECK(to_json(s)["busy"] == true);
  s.load_before = 0.1;
  s.load_after = 3.5;  // others 1.5 > 1, shown as the larger raw load
  CHECK_THAT(machine_warnings(s).at(0), Catch::StartsWith("machine busy: load 3.5 on 2 cores"));
}

TEST_CASE("other work's share of the CPU time is the machine's busy time less the ranks' own, over the elapsed time") {
  // 100 ticks/s: the machine was busy 300 ticks = 3 s of the 1000 ticks = 10 s its CPUs ran; the
  // ranks used 2.5 s of it, others 0.5 s: 5% of the CPU time.
  CHECK(others_cpu_share(300, 1000, 2.5, 100).value() == Approx(0.05));
  // Own time read a moment after /proc/stat may exceed its busy time: nobody else, not -1%.
  CHECK(others_cpu_share(300, 1000, 3.1, 100).value() == 0.0);
  CHECK_FALSE(others_cpu_share(0, 0, 0, 100).has_value());
}

TEST_CASE("counted CPU time decides busy over the load average, which still shows the previous run's load") {
  MachineState s;
  s.cores = 2;
  s.own_threads = 2;
  s.load_before = 1.9;  // a run that ended a minute ago: the load average says busy (1.9 > 1)
  s.load_after = 2.1;
  CHECK(to_json(s)["busy"] == true);
  s.others_cpu_share = 0.01;  // but others used 1% of the CPUs during this run
  CHECK(machine_warnings(s).empty());
  CHECK(to_json(s)["busy"] == false);
  CHECK(to_json(s)["others_cpu_share"] == 0.01);
  s.load_before = 0.0;
  s.others_cpu_share = 0.23;  // a quiet start, then other work took 23%: busy whatever the load says
  const auto w = machine_warnings(s);
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::StartsWith("machine busy: other work used 23% of the CPU time during the run"));
  s.others_cpu_share = kBusyOthersCpuShare;  // at the limit: not over it
  CHECK(machine_warnings(s).empty());
}

TEST_CASE("round speed indices are geometric means of each shape's rate over its median; drift is their range over the median") {
  // Two shapes, three rounds. Shape A: 10, 20, 10 (median 10) -> ratios 1, 2, 1.
  // Shape B: 4, 4, 2 (median 4) -> 1, 1, 0.5. Indices sqrt(1*1), sqrt(2*1), sqrt(1*0.5).
  const auto index = round_speed_index({{10, 20, 10}, {4, 4, 2}});
  REQUIRE(index.size() == 3);
  CHECK(index[0] == Approx(1.0));
  CHECK(index[1] == Approx(std::sqrt(2.0)));
  CHECK(index[2] == Approx(std::sqrt(0.5)));
  // (sqrt 2 - sqrt 0.5) / median 1 = 0.7071.
  CHECK(round_drift(index) == Approx(std::sqrt(2.0) - std::sqrt(0.5)));
  CHECK(round_drift({1.0}) == 0.0);
  CHECK_THROWS_AS(round_speed_index({{1, 2}, {1}}), std::invalid_argument);
  MachineState s;
  s.drift = 0.23;
  const auto w = machine_warnings(s);
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::StartsWith("machine drifting: the calibration's speed varied 23% between its rounds"));
  s.drift = 0.05;
  CHECK(machine_warnings(s).empty());
  CHECK(to_json(s)["drifting"] == false);
}
