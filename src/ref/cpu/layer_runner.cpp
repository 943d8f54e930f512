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
}

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

CpuRunResult run_layer(const LayerSpec& spec, const RunOptions& options, MPI_Comm comm) {
  if (options.repeats < 1) throw std::invalid_argument("repeats must be at least 1");
  if (options.warmup < 0) throw std::invalid_argument("warmup must be >= 0");
  SwitchLayer layer(spec, comm);
  const auto n = static_cast<std::size_t>(spec.tokens_per_rank * spec.d_model);
  const auto rank = static_cast<std::uint64_t>(layer.rank());
  Rng xr(derive_seed(spec.seed, kInputSeed, rank));
  const auto x = normal_vector(xr, n, 1.0);
  Rng gr(derive_seed(spec.seed, kGradSeed, rank));
  const auto dout = normal_vector(gr, n, 1.0);

  // Per iteration: 6 forward phases, 6 backward phases, forward sum, backward sum, step.
  constexpr std::size_t kSlots = 2 * kPhaseCount + 3;
  std::vector<std::vector<double>> samples(kSlots);
  for (std::int64_t it = 0; it < options.warmup + options.repeats; ++it) {
    PhaseTimes t;
    (void)layer.forward(x, &t);
    (void)layer.backward(dout, &t);
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
    MPI_Allreduce(local.data(), worst.data(), static_cast<int>(kSlots), MPI_DOUBLE, MPI_MAX, comm);
    if (it < options.warmup) continue;
    for (std::size_t i = 0; i < kSlots; ++i) samples[i].push_back(worst[i]);
  }

  CpuRunResult out;
  auto& m = out.measurement;
  m.spec = spec;
  m.capacity = spec.padding == "dropless" ? 0 : layer.capacity();
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    std::vector<double> both(samples[p].size());
    for (std::size_t i = 0; i < both.size(); ++i) both[i] = samples[p][i] + samples[kPhaseCount + p][i];
    m.phases[std::string(kLayerPhases[p])] = summarize(both);
  }
  m.forward = summarize(samples[2 * kPhaseCount]);
  m.backward = summarize(samples[2 * kPhaseCount + 1]);
  m.step = summarize(samples[2 * kPhaseCount + 2]);

  const auto& plan = layer.plan();
  out.expert_tokens.assign(plan.routed_per_expert.size(), 0);
  std::vector<std::int64_t> first_choice(plan.routed_per_expert.size(), 0);
  for (std::int64_t t = 0; t < plan.tokens; ++t) ++first_choice[static_cast<std::size_t>(plan.assignments[static_cast<std::size_t>(t)].expert)];
  MPI_Allreduce(first_choice.data(), out.expert_tokens.data(), static_cast<int>(first_choice.size()), MPI_INT64_T,
                MPI_SUM, comm);
  std::int64_t dropped = plan.dropped;
  MPI_Allreduce(&dropped, &out.dropped_assignments, 1, MPI_INT64_T, MPI_SUM, comm);
  double aux = plan.aux_loss, aux_sum = 0;
  MPI_Allreduce(&aux, &aux_sum, 1, MPI_DOUBLE, MPI_SUM, comm);
  m.aux_loss = aux_sum / static_cast<double>(spec.ranks);
  m.dropped_token_frac = static_cast<double>(out.dropped_assignments) /
                         static_cast<double>(spec.tokens_per_rank * spec.top_k * spec.ranks);
  return out;
}

}  // namespace switchsim::ref::cpu
