#include <catch2/catch.hpp>

#include <stdexcept>

#include "validate/paired_schedule.hpp"

using switchsim::validate::pair_shapes_with_configs;

TEST_CASE("paired schedule: each shape goes with the first config that uses it, the unused ones last") {
  // 8 shapes; config 0 uses 5, 2, 5 (a repeat); config 1 uses 2 (config 0's) and 6; config 2
  // uses only shapes others took; 0, 1, 3, 4, 7 are nobody's (the fixed grid's).
  const auto p = pair_shapes_with_configs({{5, 2, 5}, {2, 6}, {6, 5}}, 8);
  REQUIRE(p.per_config.size() == 3);
  CHECK(p.per_config[0] == std::vector<std::size_t>{2, 5});
  CHECK(p.per_config[1] == std::vector<std::size_t>{6});
  CHECK(p.per_config[2].empty());
  CHECK(p.rest == std::vector<std::size_t>{0, 1, 3, 4, 7});
}

TEST_CASE("paired schedule: every shape is sampled exactly once a round") {
  const auto p = pair_shapes_with_configs({{3, 1}, {1, 0, 9}, {}, {9, 4}}, 10);
  std::vector<int> count(10, 0);
  for (const auto& group : p.per_config)
    for (const auto s : group) ++count[s];
  for (const auto s : p.rest) ++count[s];
  for (std::size_t s = 0; s < count.size(); ++s) CHECK(count[s] == 1);
}

TEST_CASE("paired schedule: a shape outside the plan is refused") {
  CHECK_THROWS_AS(pair_shapes_with_configs({{0, 3}}, 3), std::out_of_range);
  const auto none = pair_shapes_with_configs({}, 2);
  CHECK(none.per_config.empty());
  CHECK(none.rest == std::vector<std::size_t>{0, 1});
}
