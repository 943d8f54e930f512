// Collectives on shipped and hand-built clusters against closed forms (net/collective.hpp).
// Notation: n ranks, S bytes per rank, B injection bandwidth, α path latency.

#include <catch2/catch.hpp>

#include <numeric>

#include "config/catalog.hpp"
#include "net/collective.hpp"
#include "topology/build.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
net::CollectiveSpec spec_for(const topology::Topology& t, net::CollectiveOp op, net::Algorithm a, Bytes s) {
  net::CollectiveSpec c;
  c.op = op;
  c.algorithm = a;
  c.bytes_per_rank = s;
  c.ranks.resize(static_cast<std::size_t>(t.endpoint_count()));
  std::iota(c.ranks.begin(), c.ranks.end(), 0);
  return c;
}
double busbw(const net::CollectiveSpec& c, Picoseconds t) {
  return (c.bytes_per_rank / t).value() * net::bus_factor(c.op, static_cast<std::int64_t>(c.ranks.size()));
}
using switchsim::test::catalog;
}  // namespace

TEST_CASE("a 1 GiB direct all-to-all on a DGX H100 takes 7/8 S/B + α, a busbw of about 450 GB/s") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto c = spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::direct, 1_GiB);
  const auto time = net::collective_time(t, c);
  const double expected = 7.0 / 8.0 * (1 << 30) / 450e9 + 1e-6;  // α: GPU -> NVSwitch -> GPU, 2 x 0.5 us
  CHECK(time.seconds() == Approx(expected).epsilon(1e-9));
  CHECK(busbw(c, time) / 1e9 == Approx(450).epsilon(0.002));
}

TEST_CASE("a 1 GiB ring all-reduce on a DGX H100 takes 2(n-1)(S/(nB) + α), a busbw of about 450 GB/s") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto c = spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_GiB);
  const auto time = net::collective_time(t, c);
  const double expected = 14.0 * ((1 << 30) / 8.0 / 450e9 + 1e-6);
  CHECK(time.seconds() == Approx(expected).epsilon(1e-9));
  CHECK(busbw(c, time) / 1e9 == Approx(450).epsilon(0.005));
}

TEST_CASE("an 8-byte collective costs hop latencies, not bandwidth") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  // All-to-all: one round of 1-byte flows: α = 1 us plus a few ps of serialization.
  const auto a2a = net::collective_time(t, spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::direct, 8_B));
  CHECK(a2a >= 1_us);
  CHECK(a2a <= 1_us + Picoseconds(100));
  // Ring all-reduce: 14 steps, each α = 1 us plus 1 byte at 450 GB/s (3 ps rounded up).
  const auto ring = net::collective_time(t, spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::ring, 8_B));
  CHECK(ring >= 14_us);
  CHECK(ring <= 14_us + Picoseconds(14 * 10));
}

TEST_CASE("a cross-pod all-to-all on a fat-tree slows by the oversubscription the closed form predicts") {
  // 8 endpoints, 4 per leaf, NIC B = 10 GB/s, leaf uplink 4B/r. Each rank sends S/8 to 7
  // others; 4 of them are in the other pod. Bounds: NIC (7/8) S/B; uplink: a leaf sends
  // 4 ranks x 4 x S/8 = 2S over 4B/r, i.e. r S/(2B). Time = max(7/8, r/2) S/B + α, with
  // α = 4 us for the cross-pod path (2 NIC hops + 2 switch hops of 1 us).
  const double s = 1 << 30;
  const double b = 10e9;
  for (const double ratio : {1.0, 2.0, 4.0}) {
    config::FatTreeSpec f;
    f.nodes = 8;
    f.endpoints_per_node = 1;
    f.nic = {BytesPerSecond::gigabytes(10), 1_us};
    f.nodes_per_leaf = 4;
    f.oversubscription = ratio;
    f.switch_latency = 1_us;
    const auto t = topology::build_topology(config::TopologySpec{f}, "test");
    const auto time =
        net::collective_time(t, spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::direct, Bytes(1 << 30)));
    INFO("oversubscription " << ratio);
    CHECK(time.seconds() == Approx(std::max(7.0 / 8.0, ratio / 2.0) * s / b + 4e-6).epsilon(1e-9));
  }
}

TEST_CASE("a 1 GiB all-to-all on the rail-optimized 1,024-GPU fat-tree runs at the NIC: busbw about 50 GB/s") {
  // Of each rank's 1023 peers, 1016 are on other nodes and reached through its 400 Gb/s
  // (50 GB/s) NIC; the 7 on NVSwitch finish early. Time ≈ (1016/1024) S / 50 GB/s, so
  // busbw = (1023/1024) S / time ≈ 50 · 1023/1016 = 50.34 GB/s.
  const auto t = topology::build_topology(catalog().cluster("h100-fat-tree-1024"));
  const auto c = spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::direct, 1_GiB);
  const auto time = net::collective_time(t, c);
  CHECK(busbw(c, time) / 1e9 == Approx(50.0 * 1023 / 1016).epsilon(0.001));
}

TEST_CASE("an all-to-all on a 4x4 torus matches the bisection bound within the path latency") {
  // Bisection of a k x k torus with wraparound: 2k links each way. Half of all traffic
  // (n/2 · n/2 · S/n = nS/4) crosses it: time >= (nS/4) / (2k·B) = kS/(8B) = S/(2B) for k = 4.
  // With dimension-order routing and the parity tie-break every ICI link carries exactly 8
  // flows, so max-min gives each flow B/8 and all drain together at (S/16)/(B/8) = S/(2B):
  // the bound is met exactly. Tolerance: the longest path's latency (4 ICI hops of 1 us;
  // core links have none) plus 2 ps of rounding.
  config::TorusSpec s;
  s.dims = {4, 4};
  s.link = {BytesPerSecond::gigabytes(10), 1_us};
  const auto t = topology::build_topology(config::TopologySpec{s}, "test");
  const auto time =
      net::collective_time(t, spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::direct, Bytes(1 << 30)));
  const auto bound = Bytes(1 << 30) / BytesPerSecond::gigabytes(20);
  CHECK(time >= bound);
  CHECK(time <= bound + 4_us + Picoseconds(2));
}

TEST_CASE("pairwise all-to-all takes n-1 rounds of S/n on a non-blocking switch") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto time = net::collective_time(t, spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::pairwise, 1_GiB));
  CHECK(time.seconds() == Approx(7.0 * ((1 << 30) / 8.0 / 450e9 + 1e-6)).epsilon(1e-9));
}

TEST_CASE("hierarchical all-to-all moves the same bytes in two rounds: in the node, then between nodes") {
  const auto t = topology::build_topology(catalog().cluster("h100-fat-tree-1024"));
  auto c = spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::hierarchical, Bytes(64 * 1024));
  c.ranks.resize(32);  // 4 nodes of 8
  const auto rounds = net::collective_rounds(t, c);
  REQUIRE(rounds.size() == 2);
  CHECK(rounds[0].size() == 4 * 8 * 7);  // every (a,p) -> (a,q), p != q
  CHECK(rounds[1].size() == 4 * 3 * 8);  // every (a,q) -> (b,q), a != b
  CHECK(rounds[0][0].bytes == Bytes(4 * 2048));  // S/g = 64 KiB / 8: S/32 for each of 4 nodes
  CHECK(rounds[1][0].bytes == Bytes(8 * 2048));  // g·S/n
}

TEST_CASE("alltoallv with a hot destination is limited by the hot rank's ingress") {
  // 8 ranks on a DGX; every rank sends 1 GiB to rank 0 and nothing else: rank 0's 450 GB/s
  // link receives 7 GiB.
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  auto c = spec_for(t, net::CollectiveOp::alltoallv, net::Algorithm::direct, 1_GiB);
  c.matrix.assign(8, std::vector<Bytes>(8, Bytes(0)));
  for (auto& row : c.matrix) row[0] = 1_GiB;
  const auto time = net::collective_time(t, c);
  CHECK(time.seconds() == Approx(7.0 * (1 << 30) / 450e9 + 1e-6).epsilon(1e-9));
}

TEST_CASE("hierarchical all-reduce on a DGX is a ring all-reduce when the whole cluster is one node") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const auto ring = net::collective_time(t, spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::ring, 1_GiB));
  const auto hier = net::collective_time(t, spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::hierarchical, 1_GiB));
  CHECK(hier == ring);
}

TEST_CASE("ring all-gather and reduce-scatter take n-1 steps of S/n") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  const double expected = 7.0 * ((1 << 30) / 8.0 / 450e9 + 1e-6);
  for (const auto op : {net::CollectiveOp::allgather, net::CollectiveOp::reducescatter})
    CHECK(net::collective_time(t, spec_for(t, op, net::Algorithm::ring, 1_GiB)).seconds() ==
          Approx(expected).epsilon(1e-9));
}

TEST_CASE("unsupported algorithm and operation pairs are rejected") {
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  CHECK_THROWS_AS(net::collective_rounds(t, spec_for(t, net::CollectiveOp::alltoall, net::Algorithm::ring, 8_B)),
                  std::invalid_argument);
  auto c = spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::hierarchical, 8_B);
  c.ranks_per_node = 3;
  CHECK_THROWS_AS(net::collective_rounds(t, c), std::invalid_argument);
}

TEST_CASE("a tree all-reduce of two ranks pipelines 8 chunks up and down in 2 + 8 - 1 rounds") {
  // depth 1: chunk k goes up in round k and down in round k + 1; the two directions use
  // different links, so each of the 9 rounds moves S/8 at B: 9 (S/(8B) + α).
  const auto t = topology::build_topology(catalog().cluster("dgx-h100-8"));
  auto c = spec_for(t, net::CollectiveOp::allreduce, net::Algorithm::tree, 1_GiB);
  c.ranks = {0, 1};
  CHECK(net::collective_rounds(t, c).size() == 9);
  CHECK(net::collective_time(t, c).seconds() == Approx(9.0 * ((1 << 30) / 8.0 / 450e9 + 1e-6)).epsilon(1e-9));
}
