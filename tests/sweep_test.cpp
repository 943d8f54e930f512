#include <catch2/catch.hpp>

#include "comm/closed_form.hpp"

#include <fstream>

#include "config/error.hpp"
#include "sweep/grid.hpp"
#include "sweep/progress.hpp"
#include "sweep/runner.hpp"

using namespace switchsim;
using namespace switchsim::sweep;

TEST_CASE("a grid's points are the cartesian product with the capacity factor varying fastest") {
  Grid g;
  g.models = {"a", "b"};
  g.clusters = {"c"};
  g.experts = {8, 16};
  g.capacity_factors = {1.0, 2.0, 4.0};
  CHECK(g.size() == 12);
  CHECK(g.point(0).model == "a");
  CHECK(*g.point(0).experts == 8);
  CHECK(*g.point(0).capacity_factor == 1.0);
  CHECK(*g.point(1).capacity_factor == 2.0);
  CHECK(*g.point(3).experts == 16);
  CHECK(g.point(6).model == "b");
  CHECK(*g.point(11).capacity_factor == 4.0);
  CHECK_THROWS(g.point(12));
}

TEST_CASE("sweep lists parse strictly") {
  CHECK(parse_int_list("8,16,32", "--experts") == std::vector<std::int64_t>{8, 16, 32});
  CHECK(parse_double_list("0.5,1.25", "--capacity-factor") == std::vector<double>{0.5, 1.25});
  CHECK_THROWS_AS(parse_int_list("8,x", "--experts"), std::invalid_argument);
  CHECK_THROWS_AS(parse_int_list("8,-1", "--experts"), std::invalid_argument);
  CHECK_THROWS_AS(parse_double_list("0,1", "--capacity-factor"), std::invalid_argument);
}

TEST_CASE("a grid file with an unknown key or an empty list is refused with its pointer") {
  const std::string path = "/tmp/switchsim_grid_test.json";
  {
    std::ofstream(path) << R"({"model": ["switch-base-8"], "cluster": ["dgx-h100-8"], "experts": [8, 0]})";
  }
  try {
    load_grid(path);
    FAIL("expected an error");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()) == path + ": /experts/1: must be a positive integer, got 0");
  }
  {
    std::ofstream(path) << R"({"model": ["switch-base-8"], "cluster": [], "experts": [8]})";
  }
  CHECK_THROWS_AS(load_grid(path), config::ConfigError);
  {
    std::ofstream(path) << R"({"model": ["switch-base-8"], "cluster": ["dgx-h100-8"], "expert": [8]})";
  }
  CHECK_THROWS_WITH(load_grid(path), Catch::Contains("/expert: unknown field"));
  std::remove(path.c_str());
}

TEST_CASE("sweep results do not depend on the number of threads, and bad points are rows that say why") {
  const config::Catalog catalog(SWITCHSIM_SOURCE_DIR);
  Grid g;
  g.models = {"switch-base-8"};
  g.clusters = {"dgx-h100-8"};
  g.base.batch_tokens = 8 * 512;
  g.experts = {6, 8, 16, 32};
  g.capacity_factors = {1.0, 2.0};
  std::vector<std::int64_t> all(static_cast<std::size_t>(g.size()));
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int64_t>(i);
  auto comm = [](const config::ClusterConfig&) -> std::unique_ptr<model::CommModel> {
    return std::make_unique<comm::ClosedFormComm>(BytesPerSecond::gigabytes(450), Picoseconds(1'000'000));
  };
  std::int64_t last_done = 0;
  const auto one = run_points(g, all, catalog, comm, 1, [&](std::int64_t done, std::int64_t) { last_done = done; });
  const auto two = run_points(g, all, catalog, comm, 2, nullptr);
  CHECK(last_done == 8);
  REQUIRE(one.size() == 8);
  for (std::size_t i = 0; i < one.size(); ++i) {
    CHECK(one[i].index == static_cast<std::int64_t>(i));
    CHECK(one[i].invalid_reason == two[i].invalid_reason);
    if (one[i].result) CHECK(to_json(*one[i].result).dump() == to_json(*two[i].result).dump());
  }
  // 6 experts cannot be spread over 8 devices.
  CHECK_FALSE(one[0].result);
  CHECK_THAT(one[0].invalid_reason, Catch::Contains("6 experts"));
  REQUIRE(one[2].result);
  REQUIRE(one[2].dense_baseline_step_time_s);
  CHECK(*one[2].dense_baseline_step_time_s > 0);
}

TEST_CASE("the progress bar shows done/total, rate and ETA") {
  CHECK(ProgressBar::render("sweep", 25, 100, 5.0) ==
        "sweep [#######.......................] 25/100 points  5.0 points/s  ETA 15 s");
  // A step counts tasks: 129 of 258 in 2 s, the rest at the same rate in 2 more.
  CHECK(ProgressBar::render("simulate", 129, 258, 2.0, "tasks") ==
        "simulate [###############...............] 129/258 tasks  64.5 tasks/s  ETA 2 s");
}
