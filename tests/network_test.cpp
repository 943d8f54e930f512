// The flow-level network (net/network.hpp): max-min sharing over time, in picoseconds.

#include <catch2/catch.hpp>

#include <optional>
#include <vector>

#include "net/network.hpp"
#include "topology/build.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
// Endpoints a, b, c and a switch s: a-s 10 GB/s, s-b 4 GB/s, s-c 10 GB/s, each 1 us.
topology::Topology star() {
  config::EdgeListSpec e;
  e.nodes = {{"a", true, false}, {"b", true, false}, {"c", true, false}, {"s", false, false}};
  e.edges = {{"a", "s", {BytesPerSecond::gigabytes(10), 1_us}, true},
             {"s", "b", {BytesPerSecond::gigabytes(4), 1_us}, true},
             {"s", "c", {BytesPerSecond::gigabytes(10), 1_us}, true}};
  return topology::build_topology(config::TopologySpec{e}, "test");
}
constexpr std::int64_t kSecond = 1'000'000'000'000;
}  // namespace

TEST_CASE("two flows on one link share it equally and finish together") {
  // a -> c twice, 1 GB each: 5 GB/s each, 0.2 s to drain, then 2 us of path latency.
  const auto t = star();
  engine::EventQueue q;
  net::Network network(t, q);
  std::optional<Picoseconds> end;
  network.transfer({{0, 2, Bytes(1'000'000'000)}, {0, 2, Bytes(1'000'000'000)}}, [&] { end = q.now(); });
  q.run();
  REQUIRE(end);
  CHECK(std::abs(end->count() - (kSecond / 5 + 2'000'000)) <= 2);
  CHECK(network.peak_utilization()[0] == Approx(1.0));
}

TEST_CASE("a flow through the bottleneck gets its share and the other takes the rest, then all of the link") {
  // X: a -> b (4 GB), Y: a -> c (12 GB), both through a->s (10 GB/s); s->b is 4 GB/s.
  // Max-min: X = 4 GB/s (bottleneck s->b), Y = 10 - 4 = 6 GB/s. X drains at 1 s; Y has
  // 6 GB left and now gets all 10 GB/s: it drains at 1.6 s. Each adds 2 us of latency.
  const auto t = star();
  engine::EventQueue q;
  net::Network network(t, q);
  std::optional<Picoseconds> x_end;
  std::optional<Picoseconds> y_end;
  network.transfer({{0, 1, Bytes(4'000'000'000)}}, [&] { x_end = q.now(); });
  network.transfer({{0, 2, Bytes(12'000'000'000)}}, [&] { y_end = q.now(); });
  q.run();
  REQUIRE(x_end);
  REQUIRE(y_end);
  CHECK(std::abs(x_end->count() - (kSecond + 2'000'000)) <= 2);
  CHECK(std::abs(y_end->count() - (kSecond * 16 / 10 + 2'000'000)) <= 4);
}

TEST_CASE("a flow starting later slows the one already running from then on") {
  // a -> c, 10 GB alone at 10 GB/s; at 0.5 s a second a -> c flow of 2.5 GB joins. Both get
  // 5 GB/s: the second drains 0.5 s later (t = 1 s), leaving the first 5 - 2.5 = 2.5 GB at
  // 10 GB/s: it drains at 1.25 s.
  const auto t = star();
  engine::EventQueue q;
  net::Network network(t, q);
  std::optional<Picoseconds> first;
  std::optional<Picoseconds> second;
  network.transfer({{0, 2, Bytes(10'000'000'000)}}, [&] { first = q.now(); });
  q.schedule(Picoseconds(kSecond / 2), 0,
             [&] { network.transfer({{0, 2, Bytes(2'500'000'000)}}, [&] { second = q.now(); }); });
  q.run();
  CHECK(std::abs(second->count() - (kSecond + 2'000'000)) <= 4);
  CHECK(std::abs(first->count() - (kSecond * 125 / 100 + 2'000'000)) <= 4);
}

TEST_CASE("an empty flow takes its path latency, a flow to itself no time, an empty transfer ends at once") {
  const auto t = star();
  engine::EventQueue q;
  q.schedule(5_us, 0, [] {});
  q.run();
  net::Network network(t, q);
  std::vector<Picoseconds> ends;
  network.transfer({{0, 1, Bytes(0)}}, [&] { ends.push_back(q.now()); });
  network.transfer({{2, 2, Bytes(1'000'000)}}, [&] { ends.push_back(q.now()); });
  network.transfer(std::vector<net::Flow>{}, [&] { ends.push_back(q.now()); });
  q.run();
  REQUIRE(ends.size() == 3);
  CHECK(ends[0] == 5_us);  // the self flow
  CHECK(ends[1] == 5_us);  // the empty transfer
  CHECK(ends[2] == 7_us);  // a -> s -> b: 2 us
}

TEST_CASE("with ECMP a flow split over two equal paths moves twice as fast") {
  // Diamond a -> {b, c} -> d at 10 GB/s a link: 1 GB takes 0.1 s on one path, 0.05 s on two.
  config::EdgeListSpec e;
  e.nodes = {{"a", true, true}, {"b", true, true}, {"c", true, true}, {"d", true, true}};  // every endpoint relays
  const config::LinkSpec link{BytesPerSecond::gigabytes(10), 1_us};
  e.edges = {{"a", "b", link, true}, {"a", "c", link, true}, {"b", "d", link, true}, {"c", "d", link, true}};
  for (const bool ecmp : {false, true}) {
    const auto t = topology::build_topology(config::TopologySpec{e}, "test", topology::RoutingOptions{ecmp});
    engine::EventQueue q;
    net::Network network(t, q);
    std::optional<Picoseconds> end;
    network.transfer({{0, 3, Bytes(1'000'000'000)}}, [&] { end = q.now(); });
    q.run();
    const std::int64_t drain = ecmp ? kSecond / 20 : kSecond / 10;
    CHECK(std::abs(end->count() - (drain + 2'000'000)) <= 2);
  }
}

TEST_CASE("solving identical flows as one weighted class gives the same times as solving them one by one") {
  // A ring of 6 with 3 copies of every pair's flow at three sizes, so classes of identical
  // flows form and drain at different times. Aggregated and plain runs must agree to within
  // the rounding of the shares (a picosecond or two), link peaks included.
  const auto t = topology::build_topology(
      config::TopologySpec{config::RingSpec{6, {BytesPerSecond::gigabytes(10), 1_us}, true}}, "test");
  std::vector<net::Flow> flows;
  for (std::int32_t i = 0; i < 6; ++i)
    for (std::int32_t j = 0; j < 6; ++j)
      for (int copy = 0; copy < 3; ++copy) flows.push_back({i, j, Bytes(1'000'000 * (1 + (i + j) % 3))});
  std::vector<std::vector<Picoseconds>> ends(2);
  std::vector<std::vector<double>> peaks(2);
  std::vector<std::uint64_t> variables(2);
  for (int aggregate = 0; aggregate < 2; ++aggregate) {
    engine::EventQueue q;
    net::Network network(t, q, net::NetworkOptions{aggregate == 1});
    // One transfer per source so each rank's end is observable.
    for (std::int32_t i = 0; i < 6; ++i) {
      std::vector<net::Flow> mine;
      for (const auto& f : flows)
        if (f.src == i) mine.push_back(f);
      network.transfer(mine, [&, aggregate] { ends[static_cast<std::size_t>(aggregate)].push_back(q.now()); });
    }
    variables[static_cast<std::size_t>(aggregate)] = network.active_flows();
    q.run();
    peaks[static_cast<std::size_t>(aggregate)] = network.peak_utilization();
  }
  CHECK(variables[0] == 6 * 5 * 3);
  CHECK(variables[1] == 6 * 5);
  REQUIRE(ends[0].size() == 6);
  REQUIRE(ends[1].size() == 6);
  for (std::size_t i = 0; i < 6; ++i) CHECK(std::abs(ends[0][i].count() - ends[1][i].count()) <= 2);
  for (std::size_t l = 0; l < peaks[0].size(); ++l) CHECK(peaks[0][l] == Approx(peaks[1][l]).epsilon(1e-12));
}
