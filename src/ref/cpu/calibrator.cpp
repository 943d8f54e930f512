#include "ref/cpu/calibrator.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "ref/cpu/expert_ffn.hpp"
#include "ref/cpu/rng.hpp"
#include "ref/cpu/routing.hpp"
#include "ref/cpu/switch_layer.hpp"

namespace switchsim::ref::cpu {

namespace {
using Clock = std::chrono::steady_clock;

template <class F>
double seconds_of(F&& body) {
  const auto start = Clock::now();
  body();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The copies' working set: four times the core's L2 cache (skinny GEMMs, bound by memory, ran up
// to 2x slower on operands from beyond it than on ones left in cache by the previous call).
std::int64_t gemm_working_set_bytes() {
  long l2 = ::sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 <= 0) l2 = 2L << 20;
  return 4 * static_cast<std::int64_t>(l2);
}
std::int64_t operand_floats(const GemmDims& g) { return g.m * g.k + g.k * g.n + g.m * g.n; }
}  // namespace

std::size_t gemm_operand_copies(const GemmDims& g) {
  const double set = 4.0 * static_cast<double>(operand_floats(g));
  return static_cast<std::size_t>(std::clamp(std::ceil(static_cast<double>(gemm_working_set_bytes()) / set), 1.0, 32.0));
}

double windowed_giga_rate(const std::function<double()>& timed_pass, double work_per_pass, double window_s) {
  double seconds = 0;
  std::int64_t passes = 0;
  // (A pass that the clock cannot see would never fill the window: give up after 2^24 of them.)
  while (passes == 0 || (seconds < window_s && passes < (std::int64_t{1} << 24))) {
    seconds += timed_pass();
    ++passes;
  }
  if (!(seconds > 0)) throw std::invalid_argument("windowed_giga_rate: the passes took no measurable time");
  return work_per_pass * static_cast<double>(passes) / seconds / 1e9;
}

double streaming_ns_per_operand_byte(const GemmDims& probe, double extra_seconds_per_call) {
  return extra_seconds_per_call * 1e9 / (static_cast<double>(operand_floats(probe)) * sizeof(float));
}

GemmPoolFloats gemm_pool_floats(const std::vector<GemmDims>& shapes) {
  GemmPoolFloats pool;
  for (const auto& g : shapes) {
    const std::size_t copies = gemm_operand_copies(g);
    pool.operands = std::max(pool.operands, copies * static_cast<std::size_t>(g.m * g.k + g.k * g.n));
    pool.outputs = std::max(pool.outputs, copies * static_cast<std::size_t>(g.m * g.n));
  }
  return pool;
}

struct Calibrator::Buffers {
  struct Matrices {
    explicit Matrices(const GemmDims& g)
        : a(static_cast<std::size_t>(g.m * g.k), 0.5F),
          b(static_cast<std::size_t>(g.k * g.n), 0.25F),
          c(static_cast<std::size_t>(g.m * g.n), 0.0F) {}
    std::vector<float> a, b, c;
  };
  // gemm_pool_floats: A and B of every shape's copies (only read, the values stay 0.5), C (only
  // written). With a buffer per shape instead, validate --oracle's 1,642 shapes held about 6.5 GB
  // per rank against the fixed grid's 0.8 GB, and the layers measured after such a calibration
  // ran 3-10% slower than after the grid alone (traces/measured/README.md).
  std::vector<float> operands, outputs;
  std::vector<float> stream_a, stream_b;
  std::vector<float> probe_pool;  // the largest streaming working set, carved into operand copies
  std::vector<char> send, recv;  // the largest all-to-all
  Matrices burst{GemmDims{128, 128, 128}};
  std::vector<std::vector<float>> routing_logits;  // [experts], tokens x experts each
  std::vector<float> routing_work, routing_dgate, routing_dlogits;
};

CalibrationPlan default_plan(bool quick) {
  CalibrationPlan p;
  p.quick = quick;
  // Rows reach m (the expert's forward and dX) and k (its dW); a dropless expert may get a single
  // row, so m and k start at 1 (below the grid the kernel model holds the edge value, and a 1-row
  // expert would take the 8-row efficiency). n is a width (d_model, d_ff, the router's experts)
  // and starts at 4.
  p.grid_m = quick ? std::vector<std::int64_t>{16, 128} : std::vector<std::int64_t>{1, 2, 3, 4, 8, 64, 512, 4096};
  p.grid_n = quick ? std::vector<std::int64_t>{4, 64} : std::vector<std::int64_t>{4, 32, 256, 2048};
  p.grid_k = quick ? p.grid_n : std::vector<std::int64_t>{1, 4, 32, 288, 2048};
  // The grid twice: with B as stored and with B transposed (the layer's dX GEMMs), each
  // orientation a point of its own in the device file's table.
  for (const bool transposed_b : {false, true})
    for (auto m : p.grid_m)
      for (auto n : p.grid_n)
        for (auto k : p.grid_k) p.gemm.push_back({m, n, k, transposed_b});
  p.row_tail_panel = 4;
  p.row_tail_n = quick ? 64 : 256;
  p.row_tail_k = quick ? 64 : 288;
  for (const bool transposed_b : {false, true})
    for (std::int64_t r = 0; r < p.row_tail_panel; ++r)
      add_gemm_shapes(p, {{p.row_tail_panel + r, p.row_tail_n, p.row_tail_k, transposed_b}});
  p.alltoall_bytes = quick ? std::vector<std::int64_t>{16 << 10, 256 << 10}
                           : std::vector<std::int64_t>{16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20};
  p.stream_bytes = quick ? (1 << 20) : (4 << 20);
  p.streaming_probes = quick ? std::vector<GemmDims>{{8, 256, 256}} : std::vector<GemmDims>{{8, 256, 256}, {64, 256, 256}};
  p.streaming_working_sets = quick ? std::vector<std::int64_t>{16 << 20}
                                   : std::vector<std::int64_t>{16 << 20, 64 << 20, 256 << 20};
  p.routing_experts = quick ? std::vector<std::int64_t>{2, 32} : std::vector<std::int64_t>{2, 8, 32, 128};
  p.routing_top_k = {1, 2};
  p.routing_tokens = quick ? 256 : 1024;
  p.gemm_window_s = quick ? 0.002 : 0.015;
  p.stream_window_s = quick ? 0.001 : 0.005;
  p.burst_s = quick ? 0.001 : 0.005;
  p.rounds = quick ? 3 : 12;
  return p;
}

std::vector<std::size_t> add_gemm_shapes(CalibrationPlan& plan, const std::vector<GemmDims>& shapes) {
  std::vector<std::size_t> where;
  for (const auto& g : shapes) {
    if (g.m < 1 || g.n < 1 || g.k < 1) throw std::invalid_argument("a GEMM shape to calibrate has an empty dimension");
    const auto at = std::find(plan.gemm.begin(), plan.gemm.end(), g);
    where.push_back(static_cast<std::size_t>(at - plan.gemm.begin()));
    if (at == plan.gemm.end()) plan.gemm.push_back(g);
  }
  return where;
}

void add_alltoall_sizes(CalibrationPlan& plan, const std::vector<std::int64_t>& bytes_per_peer) {
  for (auto b : bytes_per_peer) {
    if (b < 1) throw std::invalid_argument("an all-to-all size to calibrate must be positive");
    if (std::find(plan.alltoall_bytes.begin(), plan.alltoall_bytes.end(), b) == plan.alltoall_bytes.end())
      plan.alltoall_bytes.push_back(b);
  }
  std::sort(plan.alltoall_bytes.begin(), plan.alltoall_bytes.end());
}

Calibrator::Calibrator(CalibrationPlan plan, MPI_Comm comm)
    : plan_(std::move(plan)), comm_(comm), buffers_(std::make_unique<Buffers>()) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  if (ranks_ < 2) throw std::invalid_argument("CPU calibration needs at least 2 MPI ranks");
  if (plan_.gemm.empty()) throw std::invalid_argument("CPU calibration needs at least one GEMM shape");
  if (plan_.alltoall_bytes.empty()) throw std::invalid_argument("CPU calibration needs at least one all-to-all size");
  const GemmPoolFloats pool = gemm_pool_floats(plan_.gemm);
  buffers_->operands.assign(pool.operands, 0.5F);
  buffers_->outputs.assign(pool.outputs, 0.0F);
  const auto floats = static_cast<std::size_t>(plan_.stream_bytes) / sizeof(float);
  buffers_->stream_a.assign(floats, 1.0F);
  buffers_->stream_b.assign(floats, 0.0F);
  if (!plan_.streaming_working_sets.empty()) {
    if (!std::is_sorted(plan_.streaming_working_sets.begin(), plan_.streaming_working_sets.end()))
      throw std::invalid_argument("CPU calibration: streaming working sets must be ascending");
    std::size_t pool = static_cast<std::size_t>(plan_.streaming_working_sets.back()) / sizeof(float);
    for (const auto& g : plan_.streaming_probes)
      pool = std::max(pool, gemm_operand_copies(g) * static_cast<std::size_t>(operand_floats(g)));
    buffers_->probe_pool.assign(pool, 0.5F);
  }
  streaming_ns_per_byte_.resize(plan_.streaming_working_sets.size());
  const auto largest = static_cast<std::size_t>(plan_.alltoall_bytes.back()) * static_cast<std::size_t>(ranks_);
  buffers_->send.assign(largest, 1);
  buffers_->recv.assign(largest, 0);
  gemm_gflops_.resize(plan_.gemm.size());
  alltoall_us_.resize(plan_.alltoall_bytes.size());
  if (!std::is_sorted(plan_.routing_experts.begin(), plan_.routing_experts.end()) ||
      !std::is_sorted(plan_.routing_top_k.begin(), plan_.routing_top_k.end()))
    throw std::invalid_argument("CPU calibration: routing expert counts and top-k must be ascending");
  // Logits as a layer's router makes them (normal, 1/sqrt(d)-scaled scores): each token's order
  // of experts differs, so the selection meets the branches it meets in a layer.
  Rng rng(derive_seed(1, 3, 0));
  for (const auto e : plan_.routing_experts)
    buffers_->routing_logits.push_back(normal_vector(rng, static_cast<std::size_t>(plan_.routing_tokens * e), 1.0));
  routing_ns_per_logit_.resize(plan_.routing_experts.size() * plan_.routing_top_k.size());
  routing_backward_ns_per_logit_.resize(routing_ns_per_logit_.size());
  for (std::size_t i = 0; i < plan_.gemm.size(); ++i) {  // warm-up: first calls pay page faults, BLAS start-up
    const auto& g = plan_.gemm[i];
    for (std::size_t c = 0; c < gemm_operand_copies(g); ++c) call_gemm(i, c);
  }
}

Calibrator::~Calibrator() = default;

void Calibrator::run_point_to_point() {
  auto pingpong = [&](std::int64_t bytes, int iterations, int samples) {
    std::vector<char> buf(static_cast<std::size_t>(bytes), 1);
    std::vector<double> one_way;
    for (int s = 0; s < samples + 1; ++s) {  // the first sample warms up
      MPI_Barrier(comm_);
      const double t = seconds_of([&] {
        for (int i = 0; i < iterations; ++i) {
          if (rank_ == 0) {
            MPI_Send(buf.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, comm_);
            MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_CHAR, 1, 0, comm_, MPI_STATUS_IGNORE);
          } else if (rank_ == 1) {
            MPI_Recv(buf.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, comm_, MPI_STATUS_IGNORE);
            MPI_Send(buf.data(), static_cast<int>(bytes), MPI_CHAR, 0, 0, comm_);
          }
        }
      });
      if (s > 0) one_way.push_back(t / (2.0 * iterations));
    }
    MPI_Bcast(one_way.data(), static_cast<int>(one_way.size()), MPI_DOUBLE, 0, comm_);
    return one_way;
  };
  const bool quick = plan_.quick;
  auto lat = pingpong(8, quick ? 100 : 2000, quick ? 3 : 9);
  for (auto& v : lat) v *= 1e6;
  point_to_point_.mpi_latency_us = spread_of(lat);
  point_to_point_.mpi_message_bytes = 1 << 20;
  auto bw = pingpong(point_to_point_.mpi_message_bytes, quick ? 2 : 10, quick ? 3 : 7);
  for (auto& v : bw) v = double(point_to_point_.mpi_message_bytes) / v / 1e9;
  point_to_point_.mpi_bandwidth_GBps = spread_of(bw);

  float a = 1, b = 2, c = 0;
  const int calls = quick ? 200 : 2000;
  std::vector<double> us;
  for (int r = 0; r < (quick ? 3 : 9); ++r) {
    const double s = seconds_of([&] {
      for (int i = 0; i < calls; ++i) sgemm(false, false, 1, 1, 1, 1.0F, &a, &b, 0.0F, &c);
    });
    us.push_back(s / calls * 1e6);
  }
  point_to_point_.tiny_gemm_us = spread_of(us);
}

void Calibrator::call_gemm(std::size_t shape, std::size_t copy) {
  const auto& g = plan_.gemm[shape];
  const auto a_floats = static_cast<std::size_t>(g.m * g.k), b_floats = static_cast<std::size_t>(g.k * g.n);
  const float* a = buffers_->operands.data() + copy * (a_floats + b_floats);
  float* c = buffers_->outputs.data() + copy * static_cast<std::size_t>(g.m * g.n);
  sgemm(false, g.transposed_b, g.m, g.n, g.k, 1.0F, a, a + a_floats, 0.0F, c);
}

void Calibrator::run_round(bool record) {
  std::vector<std::size_t> all(plan_.gemm.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  run_gemm_shapes(all, record);
  run_memory_and_network(record);
}

void Calibrator::run_gemm_shapes(const std::vector<std::size_t>& indices, bool record) {
  MPI_Barrier(comm_);
  // Every rank computes at once; a sample's rate is the slowest rank's (the layer's phases
  // report the slowest rank).
  for (const std::size_t i : indices) {
    const auto& g = plan_.gemm.at(i);
    const std::size_t copies = gemm_operand_copies(g);
    std::size_t call = 0;  // cycles the operand copies
    double rate = windowed_giga_rate([&] { return seconds_of([&] { call_gemm(i, call++ % copies); }); },
                                     2.0 * double(g.m) * double(g.n) * double(g.k), plan_.gemm_window_s);
    double slowest = rate;
    MPI_Allreduce(&rate, &slowest, 1, MPI_DOUBLE, MPI_MIN, comm_);
    if (record) gemm_gflops_[i].push_back(slowest);
  }
}

void Calibrator::run_memory_and_network(bool record) {
  MPI_Barrier(comm_);
  // Streaming: memcpy and a scale loop, bytes read + written, each sample back-to-back passes for
  // plan_.stream_window_s, as a GEMM sample is. One pass of a layer-sized array takes about
  // 120 us, and on the shared VM a single pass was either clean or carried a stall several times
  // its length: the median of single passes followed whichever kind was the more common in a run
  // (16.7-43.0 GB/s over one day's 17 runs, their p90s 51-72), and that median priced every
  // memory term of every layer alike (the expert FFN's activation passes most): the runs whose
  // median was lowest were predicted the slowest. A layer's memory work runs in stretches of
  // milliseconds, in which a stall weighs by its share of the time, as it does in a window.
  {
    auto& a = buffers_->stream_a;
    auto& b = buffers_->stream_b;
    const double pass_bytes = 2.0 * static_cast<double>(a.size() * sizeof(float));
    const double copy = windowed_giga_rate(
        [&] { return seconds_of([&] { std::memcpy(b.data(), a.data(), a.size() * sizeof(float)); }); }, pass_bytes,
        plan_.stream_window_s);
    if (record) stream_GBps_.push_back(copy);
    const double scale = windowed_giga_rate(
        [&] {
          return seconds_of([&] {
            const float* src = b.data();
            float* dst = a.data();
            for (std::size_t j = 0; j < a.size(); ++j) dst[j] = 1.0001F * src[j];
          });
        },
        pass_bytes, plan_.stream_window_s);
    if (record) stream_GBps_.push_back(scale);
  }
  run_operand_streaming(record);
  run_routing(record);
  // All-to-all as the layer meets it: right after a compute phase, then a barrier, then the timed
  // MPI_Alltoall (slowest rank). On a shared machine a rank that just used up its time slice may
  // be descheduled while its peer waits, and that cost belongs to the all-to-all.
  // The layer exchanges every few milliseconds, so each timed call follows an earlier all-to-all
  // and a compute burst; the first size of a round would otherwise follow the GEMM grid and the
  // streaming probes (seconds without any exchange), and measured 87 us at 16 KiB per peer where the same
  // call after a burst that follows an all-to-all took 17-44 us (the layer's own 1-4 ms phases
  // then 25-30 us for 49 KiB): an untimed exchange first puts every size in the layer's regime.
  auto& burst = buffers_->burst;
  MPI_Alltoall(buffers_->send.data(), static_cast<int>(plan_.alltoall_bytes.front()), MPI_CHAR, buffers_->recv.data(),
               static_cast<int>(plan_.alltoall_bytes.front()), MPI_CHAR, comm_);
  for (std::size_t i = 0; i < plan_.alltoall_bytes.size(); ++i) {
    const auto bytes = plan_.alltoall_bytes[i];
    double busy = 0;
    while (busy < plan_.burst_s)
      busy += seconds_of([&] { sgemm(false, false, 128, 128, 128, 1.0F, burst.a.data(), burst.b.data(), 0.0F, burst.c.data()); });
    MPI_Barrier(comm_);
    double t = seconds_of([&] {
      MPI_Alltoall(buffers_->send.data(), static_cast<int>(bytes), MPI_CHAR, buffers_->recv.data(), static_cast<int>(bytes),
                   MPI_CHAR, comm_);
    });
    double worst = 0;
    MPI_Allreduce(&t, &worst, 1, MPI_DOUBLE, MPI_MAX, comm_);
    if (record) alltoall_us_[i].push_back(worst * 1e6);
  }
  if (record) ++rounds_;
}

void Calibrator::run_operand_streaming(bool record) {
  auto& pool = buffers_->probe_pool;
  for (const auto& g : plan_.streaming_probes) {
    const auto set = static_cast<std::size_t>(operand_floats(g));
    // Seconds per call cycling the first `copies` operand sets of the pool `passes` times, the
    // last pass timed; the slowest rank's.
    auto per_call = [&](std::size_t copies, int passes) {
      double s = 0;
      for (int pass = 0; pass < passes; ++pass) {
        MPI_Barrier(comm_);
        s = seconds_of([&] {
          for (std::size_t c = 0; c < copies; ++c) {
            float* a = pool.data() + c * set;
            sgemm(false, false, g.m, g.n, g.k, 1.0F, a, a + g.m * g.k, 0.0F, a + g.m * g.k + g.k * g.n);
          }
        });
      }
      double slowest = s;
      MPI_Allreduce(&s, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm_);
      return slowest / static_cast<double>(copies);
    };
    // The GEMM table's regime: enough passes over its cache-sized copies for a whole window.
    const std::size_t cached = gemm_operand_copies(g);
    const int cached_passes = std::max(2, static_cast<int>(std::ceil(plan_.gemm_window_s / std::max(1e-9, per_call(cached, 1) * double(cached)))));
    const double base = per_call(cached, cached_passes);
    for (std::size_t w = 0; w < plan_.streaming_working_sets.size(); ++w) {
      const auto copies = static_cast<std::size_t>(plan_.streaming_working_sets[w]) / (set * sizeof(float));
      if (copies <= cached) continue;
      const double t = per_call(copies, 2);
      if (record) streaming_ns_per_byte_[w].push_back(streaming_ns_per_operand_byte(g, t - base));
    }
  }
}

void Calibrator::run_routing(bool record) {
  for (std::size_t e = 0; e < plan_.routing_experts.size(); ++e) {
    const std::int64_t experts = plan_.routing_experts[e];
    for (std::size_t k = 0; k < plan_.routing_top_k.size(); ++k) {
      const std::int64_t top_k = plan_.routing_top_k[k];
      if (top_k > experts) continue;
      auto& work = buffers_->routing_work;
      RoutingPlan routed;
      auto forward = [&] {
        softmax_rows(work, plan_.routing_tokens, experts);
        routed = route_tokens(work, plan_.routing_tokens, experts, top_k, -1, kAuxAlpha);
      };
      auto backward = [&] { router_logit_gradients(routed, buffers_->routing_dgate, work, kAuxAlpha, buffers_->routing_dlogits); };
      // Timed on logits in cache, as the layer's softmax reads them right after the router's GEMM
      // wrote them: an untimed pass first (the first probe of a round otherwise follows the
      // operand-streaming probes' 256 MiB and measured 1.6x its warm time at 2 experts).
      work = buffers_->routing_logits[e];  // softmax works in place
      forward();
      work = buffers_->routing_logits[e];
      MPI_Barrier(comm_);
      double s[2] = {seconds_of(forward), 0.0};
      buffers_->routing_dgate.assign(routed.assignments.size(), 0.1F);
      backward();
      MPI_Barrier(comm_);
      s[1] = seconds_of(backward);
      double slowest[2] = {s[0], s[1]};
      MPI_Allreduce(s, slowest, 2, MPI_DOUBLE, MPI_MAX, comm_);
      const double logits = static_cast<double>(plan_.routing_tokens * experts);
      if (record) {
        routing_ns_per_logit_[e * plan_.routing_top_k.size() + k].push_back(slowest[0] * 1e9 / logits);
        routing_backward_ns_per_logit_[e * plan_.routing_top_k.size() + k].push_back(slowest[1] * 1e9 / logits);
      }
    }
  }
}

RowTailSample Calibrator::row_tail() const {
  const auto& p = plan_;
  RowTailSample tail{p.row_tail_panel, p.row_tail_n, p.row_tail_k, {}, {}};
  const double b_elements = static_cast<double>(p.row_tail_n) * static_cast<double>(p.row_tail_k);
  for (const bool transposed_b : {false, true}) {
    std::vector<std::size_t> shape;  // of panel + r rows, r = 0 .. panel - 1
    for (std::int64_t r = 0; r < p.row_tail_panel; ++r) {
      const GemmDims g{p.row_tail_panel + r, p.row_tail_n, p.row_tail_k, transposed_b};
      shape.push_back(static_cast<std::size_t>(std::find(p.gemm.begin(), p.gemm.end(), g) - p.gemm.begin()));
      if (shape.back() == p.gemm.size()) throw std::logic_error("Calibrator: a row-tail probe shape is not in the plan");
    }
    // Per round: one round's probes ran within seconds of each other (the base, a grid point,
    // about 250 shapes before the others), other rounds' ten seconds or more away, so most of
    // the machine's drift cancels in the differences.
    std::vector<std::vector<double>> ns(shape.size() - 1);
    for (std::size_t round = 0; round < gemm_gflops_[shape[0]].size(); ++round) {
      std::vector<double> seconds;
      for (std::size_t i = 0; i < shape.size(); ++i) {
        const auto& g = p.gemm[shape[i]];
        seconds.push_back(2.0 * static_cast<double>(g.m * g.n * g.k) / (gemm_gflops_[shape[i]][round] * 1e9));
      }
      const auto round_ns = remainder_ns_per_b_element(seconds, b_elements);
      for (std::size_t r = 0; r < round_ns.size(); ++r) ns[r].push_back(round_ns[r]);
    }
    auto& out = transposed_b ? tail.ns_per_b_element_transposed_b : tail.ns_per_b_element;
    for (const auto& samples : ns) out.push_back(spread_of(samples));
  }
  return tail;
}

CalibrationResult Calibrator::result() const {
  if (rounds_ == 0) throw std::logic_error("Calibrator::result before any round");
  for (const auto& samples : gemm_gflops_)
    if (samples.empty()) throw std::logic_error("Calibrator::result: a GEMM shape was never sampled");
  CalibrationResult r = point_to_point_;
  r.quick = plan_.quick;
  r.rounds = rounds_;
  r.ranks = ranks_;
  for (std::size_t i = 0; i < plan_.gemm.size(); ++i)
    r.gemm.push_back({plan_.gemm[i].m, plan_.gemm[i].n, plan_.gemm[i].k, spread_of(gemm_gflops_[i]), plan_.gemm[i].transposed_b});
  r.grid_m = plan_.grid_m;
  r.grid_n = plan_.grid_n;
  r.grid_k = plan_.grid_k;
  r.stream_GBps = spread_of(stream_GBps_);
  r.stream_bytes = plan_.stream_bytes;
  r.stream_window_s = plan_.stream_window_s;
  r.gemm_working_set_bytes = gemm_working_set_bytes();
  for (std::size_t w = 0; w < plan_.streaming_working_sets.size(); ++w)
    if (!streaming_ns_per_byte_[w].empty())
      r.operand_streaming.push_back({plan_.streaming_working_sets[w], spread_of(streaming_ns_per_byte_[w])});
  for (std::size_t i = 0; i < plan_.alltoall_bytes.size(); ++i)
    r.alltoall.push_back({plan_.alltoall_bytes[i], spread_of(alltoall_us_[i])});
  if (plan_.row_tail_panel > 0) r.row_tail = row_tail();
  r.routing_tokens = plan_.routing_tokens;
  for (std::size_t k = 0; k < plan_.routing_top_k.size(); ++k)  // ascending by (top_k, experts)
    for (std::size_t e = 0; e < plan_.routing_experts.size(); ++e) {
      const std::size_t i = e * plan_.routing_top_k.size() + k;
      if (!routing_ns_per_logit_[i].empty())
        r.routing.push_back({plan_.routing_experts[e], plan_.routing_top_k[k], spread_of(routing_ns_per_logit_[i]),
                             spread_of(routing_backward_ns_per_logit_[i])});
    }
  return r;
}

}  // namespace switchsim::ref::cpu
