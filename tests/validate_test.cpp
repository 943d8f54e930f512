// The error arithmetic of `switchsim validate`, by hand.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "report/validation_errors.hpp"

using namespace switchsim;

TEST_CASE("err is predicted over measured minus one, and undefined without a measurement") {
  CHECK(*report::relative_error(1.1, 1.0) == Approx(0.1));
  CHECK(*report::relative_error(0.75, 1.0) == Approx(-0.25));
  CHECK_FALSE(report::relative_error(1.0, 0.0).has_value());
}

TEST_CASE("the median and max of |err| are taken over absolute values") {
  // |err| = 0.10, 0.30, 0.05, 0.20 -> sorted 0.05 0.10 0.20 0.30: median (0.10 + 0.20) / 2 = 0.15,
  // max 0.30 at position 1.
  const auto s = report::summarize_errors({0.10, -0.30, 0.05, -0.20});
  CHECK(s.count == 4);
  CHECK(s.median_abs == Approx(0.15));
  CHECK(s.max_abs == Approx(0.30));
  CHECK(s.max_index == 1);
  // Odd count: the middle one.
  CHECK(report::summarize_errors({-0.4, 0.1, 0.2}).median_abs == Approx(0.2));
  CHECK_THROWS_AS(report::summarize_errors({}), std::invalid_argument);
}
