// Network model speed: a direct all-to-all (every ordered pair one flow) on the rail-optimized
// h100-fat-tree-1024 (1,024 endpoints, 1,047,552 flows) and on a 256-node variant built in
// code (2,048 endpoints, 4,192,256 flows). Goals (issue 4): < 2 s and < 10 s on one core,
// peak RSS < 2 GB. Times include building the topology and computing the routes.

#include <fmt/format.h>
#include <sys/resource.h>

#include <numeric>

#include "bench/benchmark.hpp"
#include "config/catalog.hpp"
#include "net/collective.hpp"
#include "topology/build.hpp"

namespace switchsim::bench {
namespace {

void run_case(const std::string& label, const config::FatTreeSpec& spec, double goal_s) {
  net::CollectiveSpec c;
  c.op = net::CollectiveOp::alltoall;
  c.algorithm = net::Algorithm::direct;
  c.bytes_per_rank = Bytes(std::int64_t{1} << 30);
  Picoseconds simulated{0};
  std::int64_t n = 0;
  const double seconds = time_seconds([&] {
    const auto topo = topology::build_topology(config::TopologySpec{spec}, label);
    n = topo.endpoint_count();
    c.ranks.resize(static_cast<std::size_t>(n));
    std::iota(c.ranks.begin(), c.ranks.end(), 0);
    simulated = net::collective_time(topo, c);
  });
  const double busbw = (c.bytes_per_rank / simulated).value() * net::bus_factor(c.op, n) / 1e9;
  fmt::print("net/alltoall_direct  endpoints={:<5} flows={:<8} wall_s={:.3f}  goal_s={:.0f}  goal_ratio={:.2f}  "
             "simulated_us={:.1f}  busbw_GBps={:.2f}  peak_rss_GB={:.3f}  rss_goal_ratio={:.2f}\n",
             n, n * (n - 1), seconds, goal_s, seconds / goal_s, simulated.seconds() * 1e6, busbw,
             peak_rss_bytes() / 1e9, peak_rss_bytes() / 2e9);
}

}  // namespace

Benchmark net_benchmark() {
  return Benchmark{"net", "direct all-to-all on 1,024 and 2,048 endpoints (goals < 2 s, < 10 s, < 2 GB)",
                   [](bool quick) {
                     const auto cluster = config::Catalog::from_environment().cluster("h100-fat-tree-1024");
                     auto spec = std::get<config::FatTreeSpec>(cluster.topology);
                     if (quick) {
                       spec.nodes = 16;
                       spec.nodes_per_leaf = 16;
                       run_case("h100-fat-tree-128 (quick)", spec, 2.0);
                       return;
                     }
                     run_case("h100-fat-tree-1024", spec, 2.0);
                     spec.nodes = 256;
                     run_case("h100-fat-tree-2048 (256 nodes, built in code)", spec, 10.0);
                   }};
}

}  // namespace switchsim::bench
