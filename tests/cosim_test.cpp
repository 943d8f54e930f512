// Incremental max-min in the Network (only the component of a change is re-solved) and
// co-simulation: collectives as external engine tasks ended by one shared Network.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <numeric>
#include <optional>
#include <random>
#include <tuple>

#include <algorithm>

#include "comm/closed_form.hpp"
#include "comm/flow_comm.hpp"
#include "compute/kernel_model.hpp"
#include "config/catalog.hpp"
#include "engine/executor.hpp"
#include "model/memory.hpp"
#include "model/phase_costs.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "model/step_graph.hpp"
#include "model/step_plan.hpp"
#include "net/collective.hpp"
#include "net/maxmin.hpp"
#include "net/network.hpp"
#include "net/shared_network.hpp"
#include "topology/build.hpp"
#include "small_step.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::literals;

namespace {
// 4 endpoints on one switch, 100 GB/s a link, 1 us a link.
topology::Topology crossbar() { return switchsim::test::crossbar(4); }
net::CollectiveSpec alltoall(std::vector<std::int32_t> ranks, Bytes s) {
  net::CollectiveSpec c;
  c.op = net::CollectiveOp::alltoall;
  c.algorithm = net::Algorithm::direct;
  c.ranks = std::move(ranks);
  c.bytes_per_rank = s;
  return c;
}
}  // namespace

TEST_CASE("max-min with coefficients: a variable counting twice on a link gets the hand-solved share") {
  // c0 (12) carries A once and B twice; c1 (3) carries B once. c1's share 3 < c0's 12/3:
  // B = 3; then c0 has 12 - 2*3 = 6 left for A alone: A = 6. Loads 12 and 3.
  net::MaxMinSystem m;
  const auto c0 = m.add_constraint(12.0);
  const auto c1 = m.add_constraint(3.0);
  const std::vector<std::int32_t> a{c0}, b{c0, c1};
  const std::vector<double> ca{1.0}, cb{2.0, 1.0};
  m.add_variable(a, ca);
  m.add_variable(b, cb);
  std::vector<double> rates, load;
  m.solve(rates, load);
  CHECK(rates[0] == Approx(6.0));
  CHECK(rates[1] == Approx(3.0));
  CHECK(load[0] == Approx(12.0));
  CHECK(load[1] == Approx(3.0));
}

TEST_CASE("a transfer on links no other flow uses re-solves only its own component") {
  const auto t = crossbar();
  engine::EventQueue q;
  net::Network network(t, q);
  Picoseconds first{0}, second{0};
  // 0 -> 1: 100 MB at 100 GB/s = 1 ms, + 2 us.
  network.transfer({net::Flow{0, 1, Bytes(100'000'000)}}, [&] { first = q.now(); });
  // At 0.5 ms, 2 -> 3 starts on disjoint links: it must not touch 0 -> 1.
  q.schedule(Picoseconds(500'000'000), 0, [&] {
    network.transfer({net::Flow{2, 3, Bytes(100'000'000)}}, [&] { second = q.now(); });
  });
  q.run();
  CHECK(std::abs(first.count() - (1'000'000'000 + 2'000'000)) <= 2);  // drain rounded up to the picosecond
  CHECK(std::abs(second.count() - (1'500'000'000 + 2'000'000)) <= 2);
  CHECK(network.partial_solves() >= 1);
}


namespace {
struct TimedTransfer {
  std::int64_t at_ps = 0;
  std::vector<net::Flow> flows;
};
// Runs `transfers` on a network of `t`, incremental or re-solving everything, and returns every
// delivery (k * 10^12 + its time in ps, sorted) and the partial solves.
std::pair<std::vector<std::int64_t>, std::uint64_t> deliveries(const topology::Topology& t,
                                                               const std::vector<TimedTransfer>& transfers,
                                                               bool incremental) {
  engine::EventQueue q;
  net::NetworkOptions options;
  options.incremental = incremental;
  options.memoize_solves = incremental;  // the reference solves every system afresh
  // Both sides solve after every drain: kept rates are equal only to the last bits
  // (tests/kept_rates_test.cpp), and this compares the incremental solve bit for bit.
  options.keep_rates_on_departure = false;
  net::Network network(t, q, options);
  std::vector<std::int64_t> ends;
  for (std::size_t k = 0; k < transfers.size(); ++k) {
    q.schedule(Picoseconds(transfers[k].at_ps), 0, [&, k] {
      network.transfer(transfers[k].flows, [&, k] {
        ends.push_back(static_cast<std::int64_t>(k) * 1'000'000'000'000LL + q.now().count());
      });
    });
  }
  q.run();
  std::sort(ends.begin(), ends.end());
  return {ends, network.partial_solves()};
}
}  // namespace

TEST_CASE("the incremental network gives the same delivery times as re-solving everything, on random staggered traffic") {
  std::mt19937 rng(5);
  std::vector<TimedTransfer> transfers;
  for (int k = 0; k < 40; ++k) {
    const auto at = std::uniform_int_distribution<std::int64_t>(0, 2'000'000'000)(rng);
    const auto s = std::uniform_int_distribution<std::int32_t>(0, 7)(rng);
    const auto d = std::uniform_int_distribution<std::int32_t>(0, 7)(rng);
    const auto b = std::uniform_int_distribution<std::int64_t>(1, 50'000'000)(rng);
    transfers.push_back({at, {net::Flow{s, d, Bytes(b)}}});
  }
  const auto t = switchsim::test::eight_gpu_fat_tree();
  const auto [inc, partial] = deliveries(t, transfers, true);
  const auto [full, none] = deliveries(t, transfers, false);
  CHECK(inc == full);
  CHECK(none == 0);
  CHECK(partial > 0);
}

TEST_CASE("the incremental network gives the same delivery times as re-solving everything, with many flows a transfer") {
  // Transfers of 1 to 12 flows (some identical, so weighted), many draining at one event
  // (equal sizes), components of every size: the kept per-link flow lists, the re-use of
  // drained ids and the switch to solving everything once a search reaches half the flows
  // must all leave every delivery time as the from-scratch solve gives it.
  std::mt19937 rng(11);
  std::vector<TimedTransfer> transfers;
  for (int k = 0; k < 60; ++k) {
    const auto at = std::uniform_int_distribution<std::int64_t>(0, 400'000'000)(rng) / 100'000'000 * 100'000'000;
    std::vector<net::Flow> flows;
    const auto count = std::uniform_int_distribution<int>(1, 12)(rng);
    const auto b = std::uniform_int_distribution<std::int64_t>(1, 4)(rng) * 5'000'000;
    for (int i = 0; i < count; ++i)
      flows.push_back(net::Flow{std::uniform_int_distribution<std::int32_t>(0, 7)(rng),
                                std::uniform_int_distribution<std::int32_t>(0, 7)(rng), Bytes(b)});
    transfers.push_back({at, flows});
  }
  const auto t = switchsim::test::eight_gpu_fat_tree();
  const auto [inc, partial] = deliveries(t, transfers, true);
  const auto [full, none] = deliveries(t, transfers, false);
  CHECK(inc.size() == 60);
  CHECK(inc == full);
  CHECK(none == 0);
  CHECK(partial > 0);
}

TEST_CASE("a ring all-reduce meets the same system every round and reuses its first solve, at the hand-computed time") {
  // Crossbar of 4 at 100 GB/s, 1 us a link; ring all-reduce of S = 400 MB: 2(n-1) = 6 rounds,
  // each every rank sending S/n = 100 MB to its successor over two links of its own:
  // 100 MB / 100 GB/s = 1 ms, + 2 us of latency; the network is empty between rounds, so
  // every round solves the system the first one solved: the first solve leaves its key, the
  // second stores its rates, and rounds 3 to 6 reuse them.
  const auto t = crossbar();
  net::CollectiveSpec ring = alltoall({0, 1, 2, 3}, Bytes(400'000'000));
  ring.op = net::CollectiveOp::allreduce;
  ring.algorithm = net::Algorithm::ring;
  std::vector<std::int64_t> ends;
  for (const bool memoize : {true, false}) {
    engine::EventQueue q;
    net::NetworkOptions options;
    options.memoize_solves = memoize;
    net::Network network(t, q, options);
    std::optional<Picoseconds> end;
    net::run_collective(network, ring, [&] { end = q.now(); });
    q.run();
    REQUIRE(end);
    CHECK(std::abs(end->count() - 6LL * (1'000'000'000 + 2'000'000)) <= 6 * 2);  // a picosecond of rounding a round
    CHECK(network.solves() == 6);
    CHECK(network.memo_hits() == (memoize ? 4u : 0u));
    CHECK(network.peak_utilization()[0] == Approx(1.0));
    ends.push_back(end->count());
  }
  CHECK(ends[0] == ends[1]);
}

TEST_CASE("collectives whose rounds leapfrog give the same times and link peaks with solves reused as without") {
  // Two ring all-reduces of different sizes, a pairwise all-to-all started 3 us later and a
  // hierarchical all-reduce, sharing NVLink, NICs and the spine: the systems recur only in
  // part, and each reused one must give the bits a fresh solve gives.
  const auto t = switchsim::test::eight_gpu_fat_tree();
  const auto spec = [](net::CollectiveOp op, net::Algorithm a, std::vector<std::int32_t> ranks, Bytes b) {
    auto c = alltoall(std::move(ranks), b);
    c.op = op;
    c.algorithm = a;
    return c;
  };
  using Op = net::CollectiveOp;
  using A = net::Algorithm;
  const auto run = [&](bool memoize) {
    engine::EventQueue q;
    net::NetworkOptions options;
    options.memoize_solves = memoize;
    options.coalesce_starts = true;
    net::Network network(t, q, options);
    std::vector<std::int64_t> ends(4, -1);
    net::run_collective(network, spec(Op::allreduce, A::ring, {0, 2, 4, 6}, 24_MiB), [&] { ends[0] = q.now().count(); });
    net::run_collective(network, spec(Op::allreduce, A::ring, {1, 3, 5, 7}, 40_MiB), [&] { ends[1] = q.now().count(); });
    q.schedule(Picoseconds(3'000'000), 0, [&] {
      net::run_collective(network, spec(Op::alltoall, A::pairwise, {0, 4, 1, 5}, 4_MiB), [&] { ends[2] = q.now().count(); });
      net::run_collective(network, spec(Op::allreduce, A::hierarchical, {0, 1, 2, 3, 4, 5, 6, 7}, 16_MiB),
                          [&] { ends[3] = q.now().count(); });
    });
    q.run();
    return std::make_tuple(ends, network.peak_utilization(), network.memo_hits(), network.solves());
  };
  const auto [ends, peaks, hits, solves] = run(true);
  const auto [fresh_ends, fresh_peaks, no_hits, fresh_solves] = run(false);
  CHECK(ends == fresh_ends);
  CHECK(peaks == fresh_peaks);
  CHECK(solves == fresh_solves);
  CHECK(no_hits == 0);
  CHECK(hits > 0);
  for (const auto e : ends) CHECK(e > 0);
}

TEST_CASE("two all-to-alls that share a GPU's links take together the hand-computed longer time") {
  // Crossbar of 4 at 100 GB/s, 1 us a link. A: all-to-all over {0, 1}; B: over {0, 2}; S =
  // 200 MB each, so every flow carries 100 MB. Alone: 100 MB / 100 GB/s + 2 us = 1.002 ms.
  // Together: 0's uplink carries 0->1 and 0->2, its downlink 1->0 and 2->0: every flow gets
  // 50 GB/s, 2 ms + 2 us for both.
  const auto t = crossbar();
  const Bytes s(200'000'000);
  const auto together = [&](bool overlap) {
    engine::EventQueue q;
    net::SharedNetwork shared(t, q);
    engine::TaskGraph g;
    const auto a = g.add_external("a2a A", "comm", std::nullopt, shared.collective_task({alltoall({0, 1}, s)}));
    const auto b = g.add_external("a2a B", "comm", std::nullopt, shared.collective_task({alltoall({0, 2}, s)}));
    if (!overlap) g.add_dependency(a, b);
    engine::Executor ex(g, q);
    const auto makespan = ex.run();
    CHECK(shared.finished() == 2);
    return std::make_pair(makespan, ex.finish_time(a));
  };
  const auto [overlapped, a_end] = together(true);
  CHECK(std::abs(overlapped.count() - (2'000'000'000 + 2'000'000)) <= 2);  // to the picosecond rounding
  CHECK(a_end.count() == overlapped.count());
  const auto [serial, a_alone] = together(false);
  CHECK(std::abs(a_alone.count() - (1'000'000'000 + 2'000'000)) <= 2);
  CHECK(serial.count() == 2 * a_alone.count());
}

TEST_CASE("collectives started together in one task are solved once, at the hand-computed time") {
  // The crossbar case above, A and B in one task: the same 2 ms + 2 us. Coalesced, the
  // start is one solve and the drain leaves no flow (no solve); one solve per collective
  // start otherwise.
  const auto t = crossbar();
  const Bytes s(200'000'000);
  for (const bool coalesce : {true, false}) {
    engine::EventQueue q;
    net::NetworkOptions options;
    options.coalesce_starts = coalesce;
    net::SharedNetwork shared(t, q, options);
    engine::TaskGraph g;
    g.add_external("a2a A+B", "comm", std::nullopt, shared.collective_task({alltoall({0, 1}, s), alltoall({0, 2}, s)}));
    engine::Executor ex(g, q);
    const auto end = ex.run();
    CHECK(std::abs(end.count() - (2'000'000'000 + 2'000'000)) <= 2);
    CHECK(shared.network().solves() == (coalesce ? 1 : 2));
  }
}

TEST_CASE("coalesced deliveries give every task the same end, to the picosecond, with fewer solves") {
  // Rail-optimized fat tree of 8 GPUs; tasks whose collectives' rounds end together (groups
  // of equal size) and overlap others (a ring all-reduce, a pairwise all-to-all starting
  // 3 us later, a hierarchical all-reduce after the first all-to-alls).
  const auto t = switchsim::test::eight_gpu_fat_tree(true);
  const auto spec = [](net::CollectiveOp op, net::Algorithm a, std::vector<std::int32_t> ranks, Bytes b) {
    auto c = alltoall(std::move(ranks), b);
    c.op = op;
    c.algorithm = a;
    return c;
  };
  using Op = net::CollectiveOp;
  using A = net::Algorithm;
  const auto run = [&](bool coalesce) {
    engine::EventQueue q;
    net::NetworkOptions options;
    options.coalesce_starts = coalesce;
    net::SharedNetwork shared(t, q, options);
    engine::TaskGraph g;
    const auto a2a = g.add_external(
        "a2a", "comm", std::nullopt,
        shared.collective_task({spec(Op::alltoall, A::pairwise, {0, 1, 2, 3}, 8_MiB), spec(Op::alltoall, A::pairwise, {4, 5, 6, 7}, 8_MiB)}));
    const auto ring = g.add_external("ring", "comm", std::nullopt,
                                     shared.collective_task({spec(Op::allreduce, A::ring, {0, 2, 4, 6}, 24_MiB),
                                                             spec(Op::allreduce, A::ring, {1, 3, 5, 7}, 24_MiB)}));
    const auto wait = g.add_task("compute", "compute", std::nullopt, Picoseconds(3'000'000));
    const auto late = g.add_external("late", "comm", std::nullopt,
                                     shared.collective_task({spec(Op::alltoall, A::pairwise, {0, 4, 1, 5}, 4_MiB)}));
    g.add_dependency(wait, late);
    const auto tail = g.add_external("tail", "comm", std::nullopt,
                                     shared.collective_task({spec(Op::allreduce, A::hierarchical, {0, 1, 2, 3, 4, 5, 6, 7}, 16_MiB)}));
    g.add_dependency(a2a, tail);
    engine::Executor ex(g, q);
    ex.run();
    std::vector<std::int64_t> ends;
    for (const auto id : {a2a, ring, late, tail}) ends.push_back(ex.finish_time(id).count());
    return std::make_pair(ends, shared.network().solves());
  };
  const auto [coalesced, fewer] = run(true);
  const auto [plain, more] = run(false);
  CHECK(coalesced == plain);
  CHECK(fewer < more);
}

TEST_CASE("a collective alone as an external task takes what collective_time gives") {
  const auto t = switchsim::test::eight_gpu_fat_tree(true);
  std::vector<std::int32_t> ranks(8);
  std::iota(ranks.begin(), ranks.end(), 0);
  for (const auto& [op, a] : {std::pair{net::CollectiveOp::alltoall, net::Algorithm::direct},
                              std::pair{net::CollectiveOp::allreduce, net::Algorithm::ring},
                              std::pair{net::CollectiveOp::allreduce, net::Algorithm::hierarchical}}) {
    auto spec = alltoall(ranks, 96_MiB);
    spec.op = op;
    spec.algorithm = a;
    engine::EventQueue q;
    net::SharedNetwork shared(t, q);
    engine::TaskGraph g;
    // A compute task first: the collective starts at 10 us, on an idle network.
    const auto before = g.add_task("compute", "compute", std::nullopt, Picoseconds(10'000'000));
    const auto comm = g.add_external("comm", "comm", std::nullopt, shared.collective_task({spec}));
    g.add_dependency(before, comm);
    engine::Executor ex(g, q);
    const auto end = ex.run();
    const auto alone = net::collective_time(t, spec);
    INFO(net::to_string(op) << " " << net::to_string(a));
    CHECK((end - Picoseconds(10'000'000)).seconds() == Approx(alone.seconds()).epsilon(1e-9));
  }
}

namespace {
// The crossbar above as a cluster, for the model-level comm interface.
config::ClusterConfig crossbar_cluster() {
  config::ClusterConfig c;
  c.name = "crossbar";
  c.devices = 4;
  c.topology = config::NvSwitchSpec{4, config::LinkSpec{BytesPerSecond(100e9), Picoseconds(1'000'000)}};
  return c;
}
model::CommRequest alltoall_request(std::vector<std::int32_t> group, Bytes s) {
  model::CommRequest r;
  r.op = model::CommOp::alltoall;
  r.algorithm = model::CommAlgorithm::direct;
  r.groups = {std::move(group)};
  r.bytes_per_rank = s;
  return r;
}
}  // namespace

TEST_CASE("through the comm model's session, two all-to-alls of different sizes sharing a GPU end at the hand-computed times") {
  // Crossbar of 4 at 100 GB/s, 1 us a link. A over {0, 1} with S = 200 MB (100 MB a flow), B
  // over {0, 2} with 100 MB (50 MB a flow). 0's uplink carries 0->1 and 0->2, its downlink
  // 1->0 and 2->0, so all four flows get 50 GB/s until B's drain at 50 MB / 50 GB/s = 1 ms
  // (B ends at 1 ms + 2 us); A's flows then have 50 MB left at 100 GB/s: 0.5 ms more, A ends
  // at 1.5 ms + 2 us. Alone A would take 1 ms + 2 us: the shared network made it 1.5x slower.
  comm::FlowComm flow(crossbar_cluster());
  engine::EventQueue q;
  auto session = flow.open_session(q);
  REQUIRE(session);
  engine::TaskGraph g;
  const auto stream_a = g.add_resource("a");
  const auto stream_b = g.add_resource("b");
  const auto a = g.add_external("A", "comm", stream_a, session->task(alltoall_request({0, 1}, Bytes(200'000'000))));
  const auto b = g.add_external("B", "comm", stream_b, session->task(alltoall_request({0, 2}, Bytes(100'000'000))));
  engine::Executor ex(g, q);
  ex.run();
  CHECK(std::abs(ex.finish_time(b).count() - (1'000'000'000 + 2'000'000)) <= 2);
  CHECK(std::abs(ex.finish_time(a).count() - (1'500'000'000 + 2'000'000)) <= 2);
  CHECK(std::abs(flow.time(alltoall_request({0, 1}, Bytes(200'000'000))).count() - (1'000'000'000 + 2'000'000)) <= 2);
}

TEST_CASE("the flow model's cache tells requests apart by every field, and a repeated request costs no solve") {
  // Crossbar of 4, 100 GB/s a link, 1 us a link. Direct all-to-all over {0, 1}, S = 200 MB:
  // 100 MB a flow at 100 GB/s = 1 ms, + 2 us of latency. Over {0, 1, 2} with the same S: each
  // rank sends S/3 to each of 2 peers over one 100 GB/s uplink = 2 x 66.7 MB / 100 GB/s.
  comm::FlowComm flow(crossbar_cluster());
  const auto pair = alltoall_request({0, 1}, Bytes(200'000'000));
  const auto two = flow.time(pair);
  CHECK(std::abs(two.count() - (1'000'000'000 + 2'000'000)) <= 2);
  const auto solves = flow.solves();
  CHECK(flow.time(pair) == two);
  CHECK(flow.solves() == solves);  // answered from the cache
  const auto three = flow.time(alltoall_request({0, 1, 2}, Bytes(200'000'000)));
  CHECK(std::abs(three.count() - (2 * 66'666'667 * 10 + 2'000'000)) <= 20);
  auto bigger = pair;
  bigger.bytes_per_rank = Bytes(400'000'000);
  CHECK(std::abs(flow.time(bigger).count() - (2'000'000'000 + 2'000'000)) <= 2);
  // alltoallv: only the matrix differs between these two; 0 -> 1 carries 100 MB, then 300 MB.
  model::CommRequest v;
  v.op = model::CommOp::alltoallv;
  v.algorithm = model::CommAlgorithm::direct;
  v.groups = {{0, 1}};
  v.matrix = {{Bytes(0), Bytes(100'000'000)}, {Bytes(0), Bytes(0)}};
  auto heavier = v;
  heavier.matrix[0][1] = Bytes(300'000'000);
  CHECK(std::abs(flow.time(v).count() - (1'000'000'000 + 2'000'000)) <= 2);
  CHECK(std::abs(flow.time(heavier).count() - (3'000'000'000 + 2'000'000)) <= 2);
}

TEST_CASE("the closed-form comm model has no shared network: a step keeps fixed-duration collectives") {
  comm::ClosedFormComm closed(BytesPerSecond(100e9), Picoseconds(1'000'000));
  engine::EventQueue q;
  CHECK(closed.open_session(q) == nullptr);
}

namespace {
using switchsim::test::catalog;
// The step's graph run on a fresh queue: with `co_simulate`, every collective is an external
// task on one shared network (the fast path of simulate_step bypassed); otherwise each has
// the fixed duration of the collective timed alone.
Picoseconds step_time(const model::StepInputs& in, comm::FlowComm& flow, bool co_simulate, bool* overlapped = nullptr) {
  const auto plan = model::plan_step(in);
  const compute::KernelModel kernels(in.cluster.device);
  const model::PhaseCosts costs(kernels, in.model, in.layout.tp);
  const auto memory = model::memory_per_device(in, model::memory_shape(in, plan));
  engine::EventQueue q;
  auto session = flow.open_session(q);
  model::CommWiring wiring;
  wiring.gradient_stream = true;
  if (co_simulate) wiring.session = session.get();
  const auto step = model::build_step_graph(in, plan, costs, flow, memory, false, wiring);
  engine::Recorder recorder;
  engine::Executor ex(step.graph, q, &recorder);
  const auto makespan = ex.run();
  if (overlapped) {
    // Whether some two communication tasks ran at the same time.
    std::vector<std::pair<std::int64_t, std::int64_t>> spans;
    for (const auto& r : recorder.records())
      if (std::find(step.comm_tasks.begin(), step.comm_tasks.end(), r.task) != step.comm_tasks.end())
        spans.emplace_back(r.start.count(), r.end.count());
    std::sort(spans.begin(), spans.end());
    *overlapped = false;
    for (std::size_t i = 1; i < spans.size(); ++i)
      if (spans[i].first < spans[i - 1].second) *overlapped = true;
  }
  return makespan;
}
}  // namespace

TEST_CASE("a co-simulated step whose collectives never overlap takes the time of its collectives timed alone") {
  // Gradient all-reduces after the whole backward pass (not overlapped): every collective
  // runs alone on the shared network, so each takes its time alone, and the step too.
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  s.overlap = false;
  for (const std::string allreduce : {"ring", "tree", "auto"}) {
    INFO(allreduce);
    s.allreduce_algorithm = allreduce;
    const auto inputs = model::make_inputs(s, catalog());
    comm::FlowComm flow(inputs.cluster, {}, net::ConcurrentOptions{true, false});
    bool overlapped = true;
    const auto alone = step_time(inputs, flow, false, &overlapped);
    REQUIRE_FALSE(overlapped);
    const auto shared = step_time(inputs, flow, true);
    CHECK(shared.seconds() == Approx(alone.seconds()).epsilon(1e-9));
    // simulate_step takes the fast path here and gives the same time.
    CHECK(model::simulate_step(inputs, flow).step_time == alone);
  }
}

TEST_CASE("a step whose gradient all-reduce overlaps the backward all-to-alls is co-simulated, and contention can only slow it") {
  // dp = 8 on one NVSwitch node: the per-layer gradient all-reduce (its own stream) runs while
  // the next layer's backward all-to-alls cross the same NVLinks. One bottleneck per GPU link:
  // sharing it cannot finish any collective earlier than alone, so the co-simulated step is at
  // least the step with every collective taking its time alone on its stream; here it is
  // strictly longer, since the overlapped all-to-alls hold up the compute chain.
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  s.overlap = true;
  s.allreduce_algorithm = "ring";
  const auto inputs = model::make_inputs(s, catalog());
  comm::FlowComm flow(inputs.cluster, {}, net::ConcurrentOptions{true, false});
  bool overlapped = false;
  const auto alone = step_time(inputs, flow, false, &overlapped);
  REQUIRE(overlapped);
  const auto shared = step_time(inputs, flow, true);
  CHECK(shared > alone);
  CHECK(model::simulate_step(inputs, flow).step_time == shared);
}

TEST_CASE("every workload algorithm becomes the network algorithm of the same name, and names round-trip") {
  for (const auto a : {model::CommAlgorithm::direct, model::CommAlgorithm::pairwise, model::CommAlgorithm::hierarchical,
                       model::CommAlgorithm::ring, model::CommAlgorithm::tree}) {
    auto r = alltoall_request({0, 1, 2, 3}, Bytes(1'000));
    r.algorithm = a;
    const auto specs = comm::collective_specs(r);
    REQUIRE(specs.size() == 1);
    CHECK(net::to_string(specs[0].algorithm) == model::comm_algorithm_name(a));
    CHECK(model::parse_comm_algorithm(model::comm_algorithm_name(a)) == a);
  }
  CHECK_FALSE(model::parse_comm_algorithm("auto"));
  CHECK_FALSE(model::parse_comm_algorithm("Ring"));
}

TEST_CASE("an algorithm name is parsed once at the edge: a wrong one is refused naming the option") {
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  s.alltoall_algorithm = "ring";  // an all-reduce algorithm
  CHECK_THROWS_WITH(model::make_inputs(s, catalog()),
                    "--alltoall-algo must be direct, pairwise, hierarchical or auto, got 'ring'");
  s.alltoall_algorithm = "auto";
  s.allreduce_algorithm = "rnig";
  CHECK_THROWS_WITH(model::make_inputs(s, catalog()), "--allreduce-algo must be ring, tree, hierarchical or auto, got 'rnig'");
  s.allreduce_algorithm = "tree";
  const auto in = model::make_inputs(s, catalog());
  CHECK_FALSE(in.alltoall_algorithm.has_value());  // auto
  CHECK(in.allreduce_algorithm == model::CommAlgorithm::tree);
}

TEST_CASE("a step reports its stages' progress: timed alone, then co-simulated when its collectives overlap") {
  // Switch-Base-8 on one DGX H100: with the gradient all-reduce after the backward pass the
  // collectives never overlap (one stage); overlapping it with the backward pass needs the
  // shared network (a second stage). Each stage counts every task of the step, once each.
  model::Scenario s = switchsim::test::switch_base_8_on_one_dgx();
  s.allreduce_algorithm = "ring";
  for (const bool overlap : {false, true}) {
    INFO("overlap " << overlap);
    s.overlap = overlap;
    const auto inputs = model::make_inputs(s, catalog());
    comm::FlowComm flow(inputs.cluster, {}, net::ConcurrentOptions{true, true});
    std::vector<std::string> stages;
    std::vector<std::int64_t> last_finished, totals;
    bool counted_up = true;
    const auto result = model::simulate_step(inputs, flow, false, nullptr,
                                             [&](std::string_view stage, std::int64_t finished, std::int64_t total) {
                                               if (stages.empty() || stages.back() != stage) {
                                                 stages.emplace_back(stage);
                                                 last_finished.push_back(0);
                                                 totals.push_back(total);
                                               }
                                               counted_up = counted_up && finished == last_finished.back() + 1;
                                               last_finished.back() = finished;
                                             });
    CHECK(counted_up);
    const std::vector<std::string> expected =
        overlap ? std::vector<std::string>{std::string(model::kStageAlone), std::string(model::kStageShared)}
                : std::vector<std::string>{std::string(model::kStageAlone)};
    CHECK(stages == expected);
    for (std::size_t i = 0; i < stages.size(); ++i) {
      CHECK(totals[i] == result.tasks);
      CHECK(last_finished[i] == result.tasks);
    }
  }
}
