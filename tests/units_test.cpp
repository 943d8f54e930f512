#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "units/format.hpp"
#include "units/parse.hpp"
#include "units/units.hpp"

using namespace switchsim;
using namespace switchsim::literals;

TEST_CASE("moving 1 GiB at 1 GB/s takes 1.073741824 s, exactly in picoseconds") {
  const Picoseconds t = 1_GiB / BytesPerSecond::gigabytes(1.0);
  CHECK(t.count() == 1'073'741'824'000LL);
}

TEST_CASE("a transfer time is rounded up to the next picosecond, never down to zero") {
  // 1 byte at 3 B/ps = 1/3 ps -> 1 ps.
  CHECK((Bytes(1) / BytesPerSecond(3e12)).count() == 1);
  // 10 bytes at 4 bytes per ps = 2.5 ps -> 3 ps.
  CHECK((Bytes(10) / BytesPerSecond(4e12)).count() == 3);
  CHECK((Bytes(0) / BytesPerSecond(1.0)).count() == 0);
}

TEST_CASE("compute time is FLOPs over rate: 989e12 FLOP at 989 TFLOP/s is one second") {
  CHECK((Flops(989e12) / FlopsPerSecond::tera(989)).count() == 1'000'000'000'000LL);
}

TEST_CASE("picosecond arithmetic that would overflow int64 throws instead of wrapping") {
  const Picoseconds big = Picoseconds::max();
  CHECK_THROWS_AS(big + 1_ps, OverflowError);
  CHECK_THROWS_AS(Picoseconds(-9'000'000'000'000'000'000LL) - 1'000'000'000'000'000'000_ps, OverflowError);
  CHECK_THROWS_AS(Picoseconds(5'000'000'000'000'000'000LL) * 2, OverflowError);
  // About 107 days is the int64 picosecond range; a year-long transfer cannot be represented.
  CHECK_THROWS_AS(Bytes(std::int64_t{1} << 62) / BytesPerSecond(1.0), OverflowError);
  CHECK_THROWS_AS(Picoseconds::from_seconds(365.0 * 24 * 3600), OverflowError);
}

TEST_CASE("byte counts that would overflow throw") {
  CHECK_THROWS_AS(Bytes(std::int64_t{1} << 62) * 4, OverflowError);
  CHECK_THROWS_AS(Bytes(INT64_MAX) + 1_B, OverflowError);
}

TEST_CASE("a transfer at a zero rate is an error, not infinity") {
  CHECK_THROWS_AS(Bytes(1) / BytesPerSecond(0.0), std::invalid_argument);
}

TEST_CASE("formatting prints a unit with every quantity") {
  CHECK(fmt::format("{}", Picoseconds(1'500'000'000)) == "1.500 ms");
  CHECK(fmt::format("{}", Picoseconds(250)) == "250.000 ps");
  CHECK(fmt::format("{}", 1_GiB) == "1.000 GiB");
  CHECK(fmt::format("{}", Bytes(512)) == "512 B");
  CHECK(fmt::format("{}", BytesPerSecond::gigabytes(450)) == "450.000 GB/s");
  CHECK(fmt::format("{}", FlopsPerSecond::tera(989)) == "989.000 TFLOP/s");
}

TEST_CASE("sizes parse with binary suffixes as nccl-tests reads them") {
  CHECK(parse_bytes("8").count() == 8);
  CHECK(parse_bytes("1K").count() == 1024);
  CHECK(parse_bytes("64M").count() == 64LL << 20);
  CHECK(parse_bytes("1G").count() == 1LL << 30);
  CHECK(parse_bytes("2GiB").count() == 2LL << 30);
  CHECK_THROWS_AS(parse_bytes("1X"), std::invalid_argument);
  CHECK_THROWS_AS(parse_bytes("-1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_bytes(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_bytes("99999999999G"), OverflowError);
}

TEST_CASE("rates convert gigabits to bytes: 400 Gb/s is 50 GB/s") {
  CHECK(BytesPerSecond::gigabits(400).value() == Approx(50e9));
}
