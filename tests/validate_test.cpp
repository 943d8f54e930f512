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

TEST_CASE("every median of validate and the report is the middle value, or the mean of the two middle ones") {
  CHECK(report::median({3.0, 1.0, 2.0}) == 2.0);
  CHECK(report::median({4.0, 1.0, 3.0, 2.0}) == 2.5);  // (2 + 3) / 2
  CHECK(report::median({-1.0}) == -1.0);
  CHECK_THROWS_AS(report::median({}), std::invalid_argument);
}

TEST_CASE("the step error splits into the median every point shares and each point's deviation from it") {
  // Five configs of one run, four predicted 3-5% slow and one 10% slow:
  // errors +0.03 +0.04 +0.05 +0.04 +0.10 -> sorted 0.03 0.04 0.04 0.05 0.10, median +0.04;
  // |err - 0.04| = 0.01 0 0.01 0 0.06 -> sorted 0 0 0.01 0.01 0.06, median 0.01.
  const auto s = report::summarize_errors({0.03, 0.04, 0.05, 0.04, 0.10});
  CHECK(s.median == Approx(0.04));
  CHECK(s.median_abs_deviation == Approx(0.01));
  CHECK(s.median_abs == Approx(0.04));  // |err| alone cannot tell the shared 4% from the points' own 1%
  // Errors of both signs around zero: nothing shared, every point's own error is its |err|.
  // -0.2 -0.1 0 +0.1 +0.2: median 0; |err - 0| median 0.1 = median |err|.
  const auto centred = report::summarize_errors({0.1, -0.2, 0.0, 0.2, -0.1});
  CHECK(centred.median == Approx(0.0).margin(1e-12));
  CHECK(centred.median_abs_deviation == Approx(0.1));
  CHECK(centred.median_abs == Approx(0.1));
  // Even count: the mean of the two middle values, for the signed median and the deviations.
  // -0.1 +0.1 +0.3 +0.5: median (0.1 + 0.3) / 2 = 0.2; |err - 0.2| = 0.3 0.1 0.1 0.3 -> (0.1 + 0.3) / 2 = 0.2.
  const auto even = report::summarize_errors({0.5, -0.1, 0.3, 0.1});
  CHECK(even.median == Approx(0.2));
  CHECK(even.median_abs_deviation == Approx(0.2));
}
