// Max-min fair sharing (net/maxmin.hpp) on systems small enough to solve by hand.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "net/maxmin.hpp"

using switchsim::net::MaxMinSystem;

namespace {
std::vector<double> solve(const MaxMinSystem& s) {
  std::vector<double> rates;
  std::vector<double> load;
  s.solve(rates, load);
  return rates;
}
}  // namespace

TEST_CASE("two flows on one link share it equally") {
  MaxMinSystem s;
  const auto link = s.add_constraint(10.0);
  s.add_variable(std::vector<std::int32_t>{link});
  s.add_variable(std::vector<std::int32_t>{link});
  const auto r = solve(s);
  CHECK(r[0] == 5.0);
  CHECK(r[1] == 5.0);
}

TEST_CASE("a flow crossing a bottleneck gets the bottleneck's share and the other flow takes the rest") {
  // Link L1 (10) carries A and B; link L2 (4) carries B and C. L2's share 4/2 = 2 is the
  // least, so B = C = 2; A then takes what B leaves of L1: 10 - 2 = 8.
  MaxMinSystem s;
  const auto l1 = s.add_constraint(10.0);
  const auto l2 = s.add_constraint(4.0);
  s.add_variable(std::vector<std::int32_t>{l1});
  s.add_variable(std::vector<std::int32_t>{l1, l2});
  s.add_variable(std::vector<std::int32_t>{l2});
  const auto r = solve(s);
  CHECK(r[0] == Approx(8.0));
  CHECK(r[1] == Approx(2.0));
  CHECK(r[2] == Approx(2.0));
}

TEST_CASE("on a line of three links a long flow and three one-link flows get the classic max-min rates") {
  // Bertsekas & Gallager's example: links of capacity 1, 1, 2; flow 0 crosses all three,
  // flows 1, 2, 3 one link each. Links 1 and 2 share 1/2 each: flows 0, 1, 2 get 1/2;
  // flow 3 gets what remains of link 3: 2 - 1/2 = 3/2.
  MaxMinSystem s;
  const auto a = s.add_constraint(1.0);
  const auto b = s.add_constraint(1.0);
  const auto c = s.add_constraint(2.0);
  s.add_variable(std::vector<std::int32_t>{a, b, c});
  s.add_variable(std::vector<std::int32_t>{a});
  s.add_variable(std::vector<std::int32_t>{b});
  s.add_variable(std::vector<std::int32_t>{c});
  std::vector<double> r;
  std::vector<double> load;
  s.solve(r, load);
  CHECK(r[0] == Approx(0.5));
  CHECK(r[1] == Approx(0.5));
  CHECK(r[2] == Approx(0.5));
  CHECK(r[3] == Approx(1.5));
  CHECK(load[0] == Approx(1.0));
  CHECK(load[2] == Approx(2.0));
}

TEST_CASE("a variable of weight k gives the same rates as k identical flows solved one by one") {
  // Pseudo-random systems: 6 links, 12 flow classes of 1 to 4 identical flows each.
  std::uint64_t lcg = 42;
  const auto next = [&](std::uint64_t m) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (lcg >> 33) % m;
  };
  for (int trial = 0; trial < 20; ++trial) {
    MaxMinSystem grouped;
    MaxMinSystem single;
    for (int l = 0; l < 6; ++l) {
      const double cap = 1.0 + static_cast<double>(next(100));
      grouped.add_constraint(cap);
      single.add_constraint(cap);
    }
    std::vector<std::int64_t> weights;
    for (int v = 0; v < 12; ++v) {
      std::vector<std::int32_t> links;
      for (std::int32_t l = 0; l < 6; ++l)
        if (next(3) == 0) links.push_back(l);
      if (links.empty()) links.push_back(static_cast<std::int32_t>(next(6)));
      const auto w = static_cast<std::int64_t>(1 + next(4));
      weights.push_back(w);
      grouped.add_variable(links, w);
      for (std::int64_t k = 0; k < w; ++k) single.add_variable(links);
    }
    const auto rg = solve(grouped);
    const auto rs = solve(single);
    std::size_t flow = 0;
    for (std::size_t v = 0; v < weights.size(); ++v)
      for (std::int64_t k = 0; k < weights[v]; ++k) CHECK(rs[flow++] == Approx(rg[v]).epsilon(1e-12));
  }
}

TEST_CASE("max-min rates never exceed a link's capacity and every flow has a saturated link") {
  MaxMinSystem s;
  const std::vector<double> caps{3.0, 5.0, 7.0, 2.0};
  for (double c : caps) s.add_constraint(c);
  const std::vector<std::vector<std::int32_t>> paths{{0, 1}, {1, 2}, {2, 3}, {0, 2}, {1}, {3, 0}};
  for (const auto& p : paths) s.add_variable(p);
  std::vector<double> r;
  std::vector<double> load;
  s.solve(r, load);
  for (std::size_t l = 0; l < caps.size(); ++l) CHECK(load[l] <= caps[l] * (1 + 1e-12));
  for (std::size_t v = 0; v < paths.size(); ++v) {
    // Bottleneck property: some link of v is full and v's rate is the largest on it.
    bool has_bottleneck = false;
    for (const auto l : paths[v]) {
      bool largest = true;
      for (std::size_t u = 0; u < paths.size(); ++u)
        for (const auto m : paths[u])
          if (m == l && r[u] > r[v] * (1 + 1e-12)) largest = false;
      if (load[static_cast<std::size_t>(l)] >= caps[static_cast<std::size_t>(l)] * (1 - 1e-12) && largest) has_bottleneck = true;
    }
    CHECK(has_bottleneck);
  }
}
