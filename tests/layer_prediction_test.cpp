// The single-layer prediction validate uses: its plan (capacity, rows, messages), the GEMM
// shapes it asks about, the dropless placement it shares with simulate, and the phase costs
// it adds for the reference's regrouping and the combine backward, by hand.

#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <memory>

#include "compute/kernel_model.hpp"
#include "model/expert_placement.hpp"
#include "model/layer_prediction.hpp"
#include "model/phase_costs.hpp"
#include "zero_comm.hpp"

using namespace switchsim;
using namespace switchsim::model;

namespace {
LayerScenario small_layer() {
  LayerScenario s;
  s.d_model = 8;
  s.d_ff = 16;
  s.experts = 4;
  s.ranks = 2;
  s.tokens_per_rank = 16;
  s.capacity_factor = 1.0;
  s.min_capacity = 4;
  return s;
}

// Streams 1 byte per ps, no overhead; GEMMs effectively free (1e30 FLOP/s) except for their bytes.
config::ClusterConfig byte_per_ps_cluster(std::int64_t devices) {
  config::ClusterConfig c;
  c.name = "hand";
  c.devices = devices;
  auto& d = c.device;
  d.name = "hand";
  d.kind = "cpu";
  d.peak_bf16 = d.peak_fp32 = d.peak_tf32 = FlopsPerSecond(1e30);
  d.memory = Bytes(1LL << 40);
  d.memory_bandwidth = BytesPerSecond(1e12);
  d.memory_efficiency = 1.0;
  d.gemm_efficiency = 1.0;
  d.gemm_tile = 4;
  d.kernel_overhead = Picoseconds(0);
  return c;
}

// d_model 8, d_ff 16, fp32 and top-1, as small_layer: for phase costs checked by hand.
config::ModelConfig hand_model(std::int64_t experts, config::FfnKind ffn) {
  config::ModelConfig m;
  m.d_model = 8;
  m.d_ff = 16;
  m.experts = experts;
  m.top_k = 1;
  m.ffn = ffn;
  m.compute_dtype = DType::fp32;
  m.router_dtype = DType::fp32;
  return m;
}

using switchsim::test::ZeroComm;
}  // namespace

TEST_CASE("the layer plan: capacity max(ceil(cf T / E), 4), R*C rows per local expert, E*C*d*b bytes sent") {
  const auto w = plan_layer(small_layer());
  CHECK(w.capacity == 4);  // ceil(16 / 4) = 4
  CHECK(w.rows_per_local_expert == std::vector<std::int64_t>{8, 8});  // 2 ranks x C
  CHECK(w.received_rows == 16);
  CHECK(w.dispatch_rows == 16);                                      // E x C
  CHECK(w.alltoall.bytes_per_rank == Bytes(4 * 4 * 8 * 4));         // E x C x d x 4 B (fp32)
  auto bad = small_layer();
  bad.experts = 3;
  CHECK_THROWS_AS(plan_layer(bad), std::invalid_argument);
}

TEST_CASE("the GEMM shapes a layer prediction asks about: router and expert FFN, forward and backward, sorted") {
  // Every backward pass has dX (m,k,n) with B transposed (dY W^T, T below) and dW (k,n,m).
  // Router [T,d]x[d,E] = (16, 4, 8); backward (16, 8, 4) T and (8, 4, 16).
  // Expert up-projection (rows 8, d_ff 16, d 8) = (8, 16, 8); backward (8, 8, 16) T and (8, 16, 8).
  // Down-projection (8, 8, 16); backward (8, 16, 8) T and (16, 8, 8).
  const auto shapes = layer_gemm_shapes(small_layer(), 64);
  std::vector<std::array<std::int64_t, 4>> got;
  for (const auto& g : shapes) {
    got.push_back({g.m, g.n, g.k, g.transposed_b ? 1 : 0});
    CHECK(g.batch == 1);
  }
  const std::vector<std::array<std::int64_t, 4>> expected{{8, 4, 16, 0}, {8, 8, 16, 0}, {8, 8, 16, 1}, {8, 16, 8, 0},
                                                          {8, 16, 8, 1}, {16, 4, 8, 0}, {16, 8, 4, 1}, {16, 8, 8, 0}};
  CHECK(got == expected);
}

TEST_CASE("the expert phase adds the regrouping copies: 4 x received rows x d x b each way") {
  auto s = small_layer();
  const auto cluster = byte_per_ps_cluster(2);
  ZeroComm comm;
  const auto p = predict_layer(s, cluster, comm);
  const compute::KernelModel kernels(cluster.device);
  const auto m = hand_model(s.experts, config::FfnKind::relu);  // small_layer's d 8, d_ff 16
  const PhaseCosts costs(kernels, m, 1);
  const auto ffn = costs.expert_ffn_loop({8, 8});
  // 16 received rows x 8 x 4 B x 4 = 2048 B at 1 B/ps = 2048 ps, forward and backward.
  CHECK(p.phase.at("expert_ffn") == ffn.forward + ffn.backward + Picoseconds(2 * 2048));
}

TEST_CASE("the expert loop's dX GEMMs read the weights transposed and take the transposed points' rate") {
  // One expert of 8 rows, d 8, d_ff 16, fp32 on a device bound by FLOPs (1 FLOP/ps at
  // efficiency 1, bandwidth too high to matter, no overhead). Every GEMM of the loop is
  // 2 * 8 * 16 * 8 = 2048 FLOPs: up (8, 16, 8) and down (8, 8, 16) forward; backward each has dX
  // with B transposed ((8, 8, 16) T for up, (8, 16, 8) T for down) and dW ((8, 16, 8), (16, 8, 8)).
  auto cluster = byte_per_ps_cluster(1);
  auto& d = cluster.device;
  d.peak_bf16 = d.peak_fp32 = d.peak_tf32 = FlopsPerSecond(1e12);
  d.memory_bandwidth = BytesPerSecond(1e30);
  for (const auto& [m, n, k] : std::vector<std::array<std::int64_t, 3>>{{8, 16, 8}, {8, 8, 16}, {16, 8, 8}})
    d.gemm_efficiency_table.push_back({m, n, k, 1.0, std::nullopt});
  const auto m = hand_model(1, config::FfnKind::relu);
  const compute::KernelModel as_stored(d);
  const auto plain = PhaseCosts(as_stored, m, 1).expert_ffn_loop({8});
  // Plus the activation pass between them, 2 x 8 x 16 x 4 B each way, 1 ps at this bandwidth
  // (rounded up).
  const Picoseconds activations = as_stored.memory_time(Bytes(2 * 8 * 16 * 4));
  CHECK(activations == Picoseconds(1));
  CHECK(plain.forward == Picoseconds(2 * 2048) + activations);
  CHECK(plain.backward == Picoseconds(4 * 2048) + activations);  // no transposed point: dX priced as B
  // Transposed B measured at half the rate: each dX GEMM takes 4096 ps instead of 2048.
  d.gemm_efficiency_table.push_back({8, 8, 16, 0.5, std::nullopt, true});
  d.gemm_efficiency_table.push_back({8, 16, 8, 0.5, std::nullopt, true});
  const compute::KernelModel with_transposed(d);
  const auto transposed = PhaseCosts(with_transposed, m, 1).expert_ffn_loop({8});
  CHECK(transposed.forward == plain.forward);
  CHECK(transposed.backward == Picoseconds(2 * 4096 + 2 * 2048) + activations);
}

TEST_CASE("the router's forward pays the slower of its memory traffic and the calibrated softmax + top-k time") {
  // 16 tokens x 4 experts, fp32, at 1 B/ps: the traffic is 5 x 16 x 4 x 4 B = 1280 ps each way;
  // the router GEMMs are free (1e30 FLOP/s) but for their bytes.
  auto cluster = byte_per_ps_cluster(1);
  const auto m = hand_model(4, config::FfnKind::relu);
  const compute::KernelModel plain(cluster.device);
  const auto gemm_only = [&](const compute::KernelModel& k) {
    return PhaseCosts(k, m, 1).gemm(16, 4, 8, 1, DType::fp32);
  };
  const auto before = PhaseCosts(plain, m, 1).router(16);
  CHECK(before.forward == gemm_only(plain).forward + Picoseconds(1280));
  CHECK(before.backward == gemm_only(plain).backward + Picoseconds(1280));
  // 0.01 ns per logit: 64 logits take 640 ps, under the traffic -- nothing changes.
  cluster.device.router_ns_per_logit = {{4, 1, 0.01, 0.01}};
  const compute::KernelModel cheap(cluster.device);
  CHECK(PhaseCosts(cheap, m, 1).router(16).forward == before.forward);
  // 100 ns per logit forward: 64 x 100 ns = 6.4 us replaces the forward's 1280 ps; 0.01 backward
  // leaves the backward's traffic.
  cluster.device.router_ns_per_logit = {{4, 1, 100.0, 0.01}};
  const compute::KernelModel costly(cluster.device);
  const auto after = PhaseCosts(costly, m, 1).router(16);
  // (to within the picosecond that rounding seconds up to picoseconds may add)
  CHECK(static_cast<double>((after.forward - gemm_only(costly).forward).count()) == Approx(6.4e6).margin(1));
  CHECK(after.backward == before.backward);
  // 50 ns backward: 3.2 us replaces the backward's traffic too.
  cluster.device.router_ns_per_logit = {{4, 1, 100.0, 50.0}};
  const compute::KernelModel both(cluster.device);
  CHECK(static_cast<double>((PhaseCosts(both, m, 1).router(16).backward - gemm_only(both).backward).count()) ==
        Approx(3.2e6).margin(1));
}

TEST_CASE("combine reads the owner's kept rows forward, writes all its returned rows backward") {
  const auto cluster = byte_per_ps_cluster(1);
  const compute::KernelModel kernels(cluster.device);
  const auto m = hand_model(4, config::FfnKind::relu);
  const PhaseCosts costs(kernels, m, 1);
  // T = 16 tokens, 12 kept of its 16 assignments, 20 rows returned (its padded send buffer);
  // a row is 8 x 4 = 32 B at 1 B/ps.
  const auto c = costs.combine(16, 12, 20);
  CHECK(c.forward == Picoseconds((12 + 2 * 16) * 32));           // kept rows + residual in + tokens out
  CHECK(c.backward == Picoseconds((2 * 16 + 20 + 2 * 12) * 32));  // d(out) in, dx out; returned rows; d(gate)
}

namespace {
// One trace step, [6, 2, 0, 0] for every rank's 8 tokens: counts as given, no sampling.
LayerScenario skewed_trace_layer(Padding padding) {
  LayerScenario s = small_layer();
  s.tokens_per_rank = 8;
  s.min_capacity = 0;
  s.padding = padding;
  auto trace = std::make_shared<RoutingTrace>();
  trace->experts = 4;
  trace->tokens_per_group = 8;
  trace->steps.push_back(RoutingTraceStep{{6, 2, 0, 0}, {}});
  s.routing.kind = RoutingSpec::Kind::trace;
  s.routing.text = "trace:hand";
  s.routing.trace = trace;
  return s;
}
}  // namespace

TEST_CASE("combine costs the token owner's k T returned rows, not the expert host's received rows") {
  // Dropless: rank 0 hosts experts 0 and 1 and receives (6 + 2) rows from each of 2 ranks = 16;
  // each owner gets back its own k T = 8 rows, all kept.
  const auto dropless = plan_layer(skewed_trace_layer(Padding::dropless));
  CHECK(dropless.received_rows == 16);
  CHECK(dropless.dispatch_rows == 8);
  CHECK(dropless.kept_rows == 8);
  const auto cluster = byte_per_ps_cluster(2);
  ZeroComm comm;
  const auto p = predict_layer(skewed_trace_layer(Padding::dropless), cluster, comm);
  // Rows of 32 B at 1 B/ps: forward (8 kept + 2 x 8) rows, backward (2 x 8 + 8 returned + 2 x 8 kept).
  CHECK(p.phase.at("combine") == Picoseconds((8 + 16) * 32 + (16 + 8 + 16) * 32));

  // Capacity padding, C = ceil(1.0 x 8 / 4) = 2: expert 0 keeps 2 of 6 and expert 1 its 2, so
  // the owner reads 4 kept rows forward and zeroes/writes all E x C = 8 returned rows backward.
  const auto padded = plan_layer(skewed_trace_layer(Padding::capacity));
  CHECK(padded.capacity == 2);
  CHECK(padded.kept_rows == 4);
  CHECK(padded.dispatch_rows == 8);
  CHECK(padded.dropped_token_frac == Approx(0.5));
  const auto q = predict_layer(skewed_trace_layer(Padding::capacity), cluster, comm);
  CHECK(q.phase.at("combine") == Picoseconds((4 + 16) * 32 + (16 + 8 + 8) * 32));
}

TEST_CASE("dropless placement: bytes member to member and the most loaded member's rows") {
  // Member 0 hosts experts 0, 1; member 1 hosts 2, 3. Rows: member 0 gets 3+2, 1+2 = 8;
  // member 1 gets 0+5, 4+1 = 10, the critical one.
  const std::vector<std::vector<std::int64_t>> counts{{3, 1, 0, 4}, {2, 2, 5, 1}};
  const auto p = place_dropless(counts, Bytes(4));
  CHECK(p.critical_rows == std::vector<std::int64_t>{5, 5});
  CHECK(p.critical_received == 10);
  CHECK(p.matrix[0][0] == Bytes(16));  // (3 + 1) rows x 4 B
  CHECK(p.matrix[0][1] == Bytes(16));  // (0 + 4)
  CHECK(p.matrix[1][0] == Bytes(16));  // (2 + 2)
  CHECK(p.matrix[1][1] == Bytes(24));  // (5 + 1)
  // Ties go to the first member.
  CHECK(place_dropless({{1, 1}, {1, 1}}, Bytes(1)).critical_rows == std::vector<std::int64_t>{2});
  CHECK_THROWS_AS(place_dropless({{1, 2, 3}, {1, 2, 3}}, Bytes(1)), std::invalid_argument);
}

TEST_CASE("the CPU expert phase is ref/cpu's loop of sgemm calls over exactly each expert's rows, no tile padding") {
  // 1 B/ps, GEMMs bound by their bytes (m k + k n + m n) x 4 B. ReLU, d = 8, d_ff = 16.
  // Expert with 3 rows: up (3,16,8) = (24 + 128 + 48) x 4 = 800; activation 2 x 3 x 16 x 4 = 384;
  // down (3,8,16) = 800: forward 1984. Backward: each GEMM's two (dX: (m,k,n), dW: (k,n,m)) are
  // 800 each: 4 x 800 + 384 = 3584. The expert with no rows runs no GEMM; its backward zero-fills
  // (wi + wo) 2 x 8 x 16 x 4 = 1024 B of gradients.
  const auto cluster = byte_per_ps_cluster(1);
  const compute::KernelModel kernels(cluster.device);
  auto m = hand_model(2, config::FfnKind::relu);
  const PhaseCosts relu(kernels, m, 1);
  const auto c = relu.expert_ffn_loop({3, 0});
  CHECK(c.forward == Picoseconds(1984));
  CHECK(c.backward == Picoseconds(3584 + 1024));
  // The grouped-GEMM form pads each expert to the tile (4 rows here): it would cost more.
  CHECK(relu.expert_ffn({3, 0}).forward > c.forward);
  // GEGLU: two input sgemm calls of d_ff columns each (2,16,8) = (16 + 128 + 32) x 4 = 704 B,
  // activations 3 x 2 x 16 x 4 = 384, down (2,8,16) = 704: forward 2 x 704 + 384 + 704.
  m.ffn = config::FfnKind::geglu;
  const PhaseCosts geglu(kernels, m, 1);
  CHECK(geglu.expert_ffn_loop({2}).forward == Picoseconds(2 * 704 + 384 + 704));
}

TEST_CASE("experts whose working set outgrows the cache pay each weight matrix's trip per use, forward and backward") {
  // The previous case's layer (ReLU, d = 8, d_ff = 16, 1 B/ps; rows {3, 0}: forward 1984 ps,
  // backward 3584 + 1024 ps), now on a device whose GEMMs pay 0 ns/byte at a working set of
  // 1,000 B and 2 ns/byte from 100,000 B. Working set: weights and their gradients
  // 2 x 2 experts x 2 matrices x 8 x 16 x 4 B = 4096 B, plus the 3 rows' input, output and
  // hidden (8 + 8 + 2 x 16) x 4 B and their gradients, 2 x 3 x 48 x 4 = 1152 B: 5248 B.
  // ln(5248 / 1000) / ln(100) = 0.359996...: 0.719993 ns per weight byte. Each of the expert's two
  // matrices (512 B) pays that once forward and twice backward; the idle expert pays nothing.
  auto cluster = byte_per_ps_cluster(1);
  cluster.device.gemm_operand_streaming = {{Bytes(1000), 0.0}, {Bytes(100000), 2.0}};
  const compute::KernelModel kernels(cluster.device);
  const auto model = hand_model(2, config::FfnKind::relu);
  const PhaseCosts relu(kernels, model, 1);
  const auto c = relu.expert_ffn_loop({3, 0});
  const double per_byte_ns = 2.0 * std::log(5248.0 / 1000.0) / std::log(100.0);
  const Picoseconds trip = Picoseconds::from_seconds(512.0 * per_byte_ns * 1e-9);
  CHECK(static_cast<double>(trip.count()) == Approx(368636.0).epsilon(1e-5));  // 512 B x 0.719993 ns
  CHECK(c.forward == Picoseconds(1984) + trip + trip);
  CHECK(c.backward == Picoseconds(3584 + 1024) + 4 * trip);
  // The same layer fits under the first point: no extra time.
  cluster.device.gemm_operand_streaming = {{Bytes(6000), 0.0}, {Bytes(100000), 2.0}};
  const compute::KernelModel roomy(cluster.device);
  const PhaseCosts fits(roomy, model, 1);
  CHECK(fits.expert_ffn_loop({3, 0}).forward == Picoseconds(1984));
}
