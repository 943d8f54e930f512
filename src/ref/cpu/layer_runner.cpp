#include "ref/cpu/layer_runner.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "ref/cpu/rng.hpp"
#include "ref/cpu/switch_layer.hpp"
#include "ref/cpu/timing_stats.hpp"

namespace switchsim::ref::cpu {

namespace {
enum : std::uint64_t { kInputSeed = 11, kGradSeed = 12 };
}  // namespace

namespace {
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) throw std::logic_error("compared tensors differ in size");
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}
}  // namespace

double distributed_vs_local_max_diff(const LayerSpec& spec, MPI_Comm comm) {
  SwitchLayer dist(spec, comm);
  LayerSpec single = spec;
  single.ranks = 1;
  SwitchLayer local(single, MPI_COMM_SELF);
  const auto n = static_cast<std::size_t>(spec.tokens_per_rank * spec.d_model);
  const auto rank = static_cast<std::uint64_t>(dist.rank());
  Rng xr(derive_seed(spec.seed, kInputSeed, rank));
  const auto x = normal_vector(xr, n, 1.0);
  Rng gr(derive_seed(spec.seed, kGradSeed, rank));
  const auto dout = normal_vector(gr, n, 1.0);

  double diff = max_abs_diff(dist.forward(x), local.forward(x));
  diff = std::max(diff, max_abs_diff(dist.backward(dout), local.backward(dout)));
  diff = std::max(diff, max_abs_diff(dist.router_grad(), local.router_grad()));
  // Expert e's gradient collects every rank's tokens: sum the 1-rank layers' over ranks.
  const std::int64_t el = dist.local_experts();
  for (std::int64_t e = 0; e < spec.experts; ++e) {
    const auto& mine = local.expert_grads()[static_cast<std::size_t>(e)];
    for (auto member : {&ExpertWeights::wi, &ExpertWeights::wi1, &ExpertWeights::wo}) {
      const auto& part = mine.*member;
      std::vector<float> total(part.size());
      MPI_Allreduce(part.data(), total.data(), static_cast<int>(part.size()), MPI_FLOAT, MPI_SUM, comm);
      if (e / el == dist.rank())
        diff = std::max(diff, max_abs_diff(dist.expert_grads()[static_cast<std::size_t>(e % el)].*member, total));
    }
  }
  double worst = 0;
  MPI_Allreduce(&diff, &worst, 1, MPI_DOUBLE, MPI_MAX, comm);
  return worst;
}

struct LayerBench::Entry {
  Entry(const LayerSpec& s, MPI_Comm comm) : spec(s), layer(s, comm) {
    const auto n = static_cast<std::size_t>(s.tokens_per_rank * s.d_model);
    const auto rank = static_cast<std::uint64_t>(layer.rank());
    Rng xr(derive_seed(s.seed, kInputSeed, rank));
    x = normal_vector(xr, n, 1.0);
    Rng gr(derive_seed(s.seed, kGradSeed, rank));
    dout = normal_vector(gr, n, 1.0);
    samples.resize(kSlots);
  }
  LayerSpec spec;
  SwitchLayer layer;
  std::vector<float> x;
  std::vector<float> dout;
  std::vector<std::vector<double>> samples;  // [slot][timed round]
};

LayerBench::LayerBench(const std::vector<LayerSpec>& specs, MPI_Comm comm) : comm_(comm) {
  static_assert(kSlots == 2 * kPhaseCount + 3);
  for (const auto& s : specs) entries_.push_back(std::make_unique<Entry>(s, comm));
}

LayerBench::~LayerBench() = default;

void LayerBench::run_round(bool timed) {
  for (std::size_t i = 0; i < entries_.size(); ++i) run_one(i, timed);
}

void LayerBench::run_one(std::size_t index, bool timed) {
  auto& e = *entries_.at(index);
  PhaseTimes t;
  (void)e.layer.forward(e.x, &t);
  (void)e.layer.backward(e.dout, &t);
  std::array<double, kSlots> local{};
  double fwd = 0, bwd = 0;
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    local[p] = t.forward_s[p];
    local[kPhaseCount + p] = t.backward_s[p];
    fwd += t.forward_s[p];
    bwd += t.backward_s[p];
  }
  local[2 * kPhaseCount] = fwd;
  local[2 * kPhaseCount + 1] = bwd;
  local[2 * kPhaseCount + 2] = fwd + bwd;
  std::array<double, kSlots> worst{};
  MPI_Allreduce(local.data(), worst.data(), static_cast<int>(kSlots), MPI_DOUBLE, MPI_MAX, comm_);
  if (!timed) return;
  for (std::size_t i = 0; i < kSlots; ++i) e.samples[i].push_back(worst[i]);
}

std::vector<CpuRunResult> LayerBench::results() const {
  std::vector<CpuRunResult> all;
  for (const auto& e : entries_) {
    if (e->samples.front().empty()) throw std::logic_error("LayerBench::results: a layer has no timed iteration");
    const auto& samples = e->samples;
    const auto& spec = e->spec;
    CpuRunResult out;
    auto& m = out.measurement;
    m.spec = spec;
    m.capacity = spec.padding == "dropless" ? 0 : e->layer.capacity();
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      std::vector<double> both(samples[p].size());
      for (std::size_t i = 0; i < both.size(); ++i) both[i] = samples[p][i] + samples[kPhaseCount + p][i];
      m.phases[std::string(kLayerPhases[p])] = summarize(both);
    }
    m.forward = summarize(samples[2 * kPhaseCount]);
    m.backward = summarize(samples[2 * kPhaseCount + 1]);
    m.step = summarize(samples[2 * kPhaseCount + 2]);

    const auto& plan = e->layer.plan();
    out.expert_tokens.assign(plan.routed_per_expert.size(), 0);
    std::vector<std::int64_t> first_choice(plan.routed_per_expert.size(), 0);
    for (std::int64_t t = 0; t < plan.tokens; ++t)
      ++first_choice[static_cast<std::size_t>(plan.assignments[static_cast<std::size_t>(t)].expert)];
    MPI_Allreduce(first_choice.data(), out.expert_tokens.data(), static_cast<int>(first_choice.size()), MPI_INT64_T,
                  MPI_SUM, comm_);
    out.expert_assignments.assign(plan.routed_per_expert.size(), 0);
    MPI_Allreduce(plan.routed_per_expert.data(), out.expert_assignments.data(),
                  static_cast<int>(plan.routed_per_expert.size()), MPI_INT64_T, MPI_SUM, comm_);
    std::int64_t dropped = plan.dropped;
    MPI_Allreduce(&dropped, &out.dropped_assignments, 1, MPI_INT64_T, MPI_SUM, comm_);
    double aux = plan.aux_loss, aux_sum = 0;
    MPI_Allreduce(&aux, &aux_sum, 1, MPI_DOUBLE, MPI_SUM, comm_);
    m.aux_loss = aux_sum / static_cast<double>(spec.ranks);
    m.dropped_token_frac = static_cast<double>(out.dropped_assignments) /
                           static_cast<double>(spec.tokens_per_rank * spec.top_k * spec.ranks);
    all.push_back(std::move(out));
  }
  return all;
}

CpuRunResult run_layer(const LayerSpec& spec, const RunOptions& options, MPI_Comm comm) {
  if (options.repeats < 1) throw std::invalid_argument("repeats must be at least 1");
  if (options.warmup < 0) throw std::invalid_argument("warmup must be >= 0");
  LayerBench bench({spec}, comm);
  for (std::int64_t i = 0; i < options.warmup; ++i) bench.run_round(false);
  for (std::int64_t i = 0; i < options.repeats; ++i) bench.run_round(true);
  return bench.results().front();
}

double layer_memory_bytes(const LayerSpec& s) {
  const double E = double(s.experts), R = double(s.ranks), T = double(s.tokens_per_rank);
  const double d = double(s.d_model), f = double(s.d_ff), k = double(s.top_k);
  const double local = E / R;
  const double matrices = s.ffn == "geglu" ? 3.0 : 2.0;
  // Rows each local expert gets: capacity padding R*C (C about cf*k*T/E); dropless at most all
  // of the group's assignments, counted as a balanced share twice over.
  const double rows = s.padding == "dropless" ? 2.0 * k * T : R * std::max(s.capacity_factor * k * T / E,
                                                                            double(s.min_capacity));
  const double weights = 2.0 * local * matrices * d * f;                         // weights + gradients
  const double activations = local * rows * ((matrices + 1.0) * f + d);          // x, a, (b), h per expert
  const double buffers = 6.0 * local * rows * d + 8.0 * T * d + 4.0 * T * E;     // all-to-all, tokens, router
  return 4.0 * (weights + activations + buffers);
}

}  // namespace switchsim::ref::cpu
