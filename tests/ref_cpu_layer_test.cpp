// The CPU reference layer against an independent plain-loop implementation, and its gradients
// against finite differences. Single rank (MPI_COMM_SELF).

#include <catch2/catch.hpp>

#include <cmath>

#include "moe/capacity.hpp"
#include "mpi/session.hpp"
#include "ref/cpu/rng.hpp"
#include "ref/cpu/switch_layer.hpp"

using namespace switchsim;
using namespace switchsim::ref::cpu;

namespace {

ref::LayerSpec tiny_spec(const std::string& ffn, std::int64_t top_k, double cf) {
  ref::LayerSpec s;
  s.ranks = 1;
  s.experts = 4;
  s.tokens_per_rank = 8;
  s.d_model = 4;
  s.d_ff = 6;
  s.ffn = ffn;
  s.top_k = top_k;
  s.capacity_factor = cf;
  s.min_capacity = 0;
  s.seed = 7;
  return s;
}

std::vector<float> random_vector(std::uint64_t seed, std::size_t n) {
  Rng r(seed);
  return normal_vector(r, n, 1.0);
}

double tanh_gelu(double a) { return 0.5 * a * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (a + 0.044715 * a * a * a))); }

// Switch layer written with plain loops in double, from the definition.
std::vector<double> naive_layer(const ref::LayerSpec& s, const std::vector<float>& x, const std::vector<float>& wr,
                                const std::vector<ExpertWeights>& w, std::int64_t capacity, std::int64_t* dropped) {
  const std::int64_t T = s.tokens_per_rank, d = s.d_model, E = s.experts, F = s.d_ff;
  std::vector<double> out(x.begin(), x.end());
  std::vector<std::vector<double>> p(T, std::vector<double>(E));
  std::vector<std::vector<std::int64_t>> choice(T);
  for (std::int64_t t = 0; t < T; ++t) {
    double mx = -1e300;
    for (std::int64_t e = 0; e < E; ++e) {
      double z = 0;
      for (std::int64_t j = 0; j < d; ++j) z += double(x[t * d + j]) * wr[j * E + e];
      p[t][e] = z;
      mx = std::max(mx, z);
    }
    double sum = 0;
    for (auto& v : p[t]) sum += (v = std::exp(v - mx));
    for (auto& v : p[t]) v /= sum;
    std::vector<bool> taken(E, false);
    for (std::int64_t c = 0; c < s.top_k; ++c) {
      std::int64_t best = -1;
      for (std::int64_t e = 0; e < E; ++e)
        if (!taken[e] && (best < 0 || p[t][e] > p[t][best])) best = e;
      taken[best] = true;
      choice[t].push_back(best);
    }
  }
  std::vector<std::int64_t> used(E, 0);
  *dropped = 0;
  for (std::int64_t c = 0; c < s.top_k; ++c) {
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int64_t e = choice[t][c];
      if (used[e]++ >= capacity) {
        ++*dropped;
        continue;
      }
      std::vector<double> h(F);
      for (std::int64_t f = 0; f < F; ++f) {
        double a = 0, b = 0;
        for (std::int64_t j = 0; j < d; ++j) {
          a += double(x[t * d + j]) * w[e].wi[j * F + f];
          if (s.ffn == "geglu") b += double(x[t * d + j]) * w[e].wi1[j * F + f];
        }
        h[f] = s.ffn == "geglu" ? tanh_gelu(a) * b : std::max(a, 0.0);
      }
      for (std::int64_t j = 0; j < d; ++j) {
        double y = 0;
        for (std::int64_t f = 0; f < F; ++f) y += h[f] * w[e].wo[f * d + j];
        out[t * d + j] += p[t][e] * y;
      }
    }
  }
  return out;
}

double loss(SwitchLayer& layer, const std::vector<float>& x, const std::vector<float>& g) {
  const auto out = layer.forward(x);
  double l = layer.plan().aux_loss;
  for (std::size_t i = 0; i < out.size(); ++i) l += double(g[i]) * out[i];
  return l;
}

// Central difference of the loss with respect to v[i], restoring v[i].
double central(SwitchLayer& layer, std::vector<float>& v, std::size_t i, const std::vector<float>& x,
               const std::vector<float>& g, const std::vector<float>* xv, float eps) {
  const float keep = v[i];
  v[i] = keep + eps;
  const double up = loss(layer, xv != nullptr ? *xv : x, g);
  v[i] = keep - eps;
  const double down = loss(layer, xv != nullptr ? *xv : x, g);
  v[i] = keep;
  return (up - down) / (2.0 * eps);
}

bool close(double a, double b) { return std::abs(a - b) <= 3e-3 + 2e-2 * std::abs(b); }

int g_kinks = 0;  // finite differences that straddled a ReLU kink or a routing switch

// The loss is piecewise smooth (ReLU, top-k, capacity): where two step sizes disagree, the
// interval holds a kink and the difference says nothing about the derivative; skip those.
double numeric(SwitchLayer& layer, std::vector<float>& v, std::size_t i, const std::vector<float>& x,
               const std::vector<float>& g, const std::vector<float>* xv) {
  const double wide = central(layer, v, i, x, g, xv, 1e-2F);
  const double narrow = central(layer, v, i, x, g, xv, 4e-3F);
  if (!close(narrow, wide)) {
    ++g_kinks;
    return std::nan("");
  }
  return wide;
}

void check_close(double analytic, double num) {
  if (std::isnan(num)) return;
  CHECK(close(analytic, num));
}

}  // namespace

TEST_CASE("the CPU Switch layer matches a plain-loop implementation (ReLU, GEGLU, top-1, top-2, drops)") {
  mpi::ensure_mpi_initialized();
  for (const std::string ffn : {"relu", "geglu"})
    for (std::int64_t k : {1, 2})
      for (double cf : {0.5, 1.0, 4.0}) {
        INFO(ffn << " top-" << k << " cf " << cf);
        const auto spec = tiny_spec(ffn, k, cf);
        SwitchLayer layer(spec, MPI_COMM_SELF);
        const auto x = random_vector(3, 32);
        const auto out = layer.forward(x);
        std::int64_t dropped = 0;
        const auto expect = naive_layer(spec, x, layer.router_weights(), layer.expert_weights(),
                                        switchsim::moe::expert_capacity({.tokens = 8, .experts = 4, .top_k = k, .capacity_factor = cf, .min_capacity = 0}), &dropped);
        CHECK(layer.plan().dropped == dropped);
        for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == Approx(expect[i]).margin(1e-5).epsilon(1e-4));
      }
}

TEST_CASE("a dropped token leaves the layer unchanged (output = input)") {
  mpi::ensure_mpi_initialized();
  auto spec = tiny_spec("relu", 1, 0.25);  // C = ceil(0.25 * 8 / 4) = 1: most tokens drop
  SwitchLayer layer(spec, MPI_COMM_SELF);
  CHECK(layer.capacity() == 1);
  const auto x = random_vector(5, 32);
  const auto out = layer.forward(x);
  std::int64_t unchanged = 0;
  for (const auto& a : layer.plan().assignments) {
    if (a.kept) continue;
    ++unchanged;
    for (std::int64_t j = 0; j < 4; ++j) CHECK(out[a.token * 4 + j] == x[a.token * 4 + j]);
  }
  CHECK(unchanged == layer.plan().dropped);
  CHECK(unchanged >= 4);  // 8 tokens, at most 4 slots
}

TEST_CASE("dropless padding and a capacity too large to drop give the same output") {
  mpi::ensure_mpi_initialized();
  auto capped = tiny_spec("geglu", 2, 8.0);
  auto dropless = capped;
  dropless.padding = "dropless";
  SwitchLayer a(capped, MPI_COMM_SELF), b(dropless, MPI_COMM_SELF);
  const auto x = random_vector(9, 32);
  const auto ya = a.forward(x), yb = b.forward(x);
  CHECK(a.plan().dropped == 0);
  for (std::size_t i = 0; i < ya.size(); ++i) CHECK(ya[i] == Approx(yb[i]).margin(1e-6));
}

TEST_CASE("layer gradients match finite differences of sum(G * out) + aux loss") {
  mpi::ensure_mpi_initialized();
  for (const std::string ffn : {"relu", "geglu"})
    for (std::int64_t k : {1, 2}) {
      INFO(ffn << " top-" << k);
      const auto spec = tiny_spec(ffn, k, 1.0);  // C = 2k: some tokens drop
      SwitchLayer layer(spec, MPI_COMM_SELF);
      auto x = random_vector(11, 32);
      const auto g = random_vector(12, 32);
      (void)layer.forward(x);
      const auto dx = layer.backward(g);
      const auto dwr = layer.router_grad();
      const auto dexp = layer.expert_grads();
      for (std::size_t i = 0; i < x.size(); ++i) check_close(dx[i], numeric(layer, x, i, x, g, &x));
      auto& wr = layer.router_weights();
      for (std::size_t i = 0; i < wr.size(); ++i) check_close(dwr[i], numeric(layer, wr, i, x, g, nullptr));
      CHECK(g_kinks <= 3);
      g_kinks = 0;
      for (std::size_t e = 0; e < 4; ++e) {
        auto& w = layer.expert_weights()[e];
        for (std::size_t i = 0; i < w.wi.size(); i += 5) check_close(dexp[e].wi[i], numeric(layer, w.wi, i, x, g, nullptr));
        for (std::size_t i = 0; i < w.wo.size(); i += 5) check_close(dexp[e].wo[i], numeric(layer, w.wo, i, x, g, nullptr));
        for (std::size_t i = 0; i < w.wi1.size(); i += 5)
          check_close(dexp[e].wi1[i], numeric(layer, w.wi1, i, x, g, nullptr));
      }
      CHECK(g_kinks <= 3);
      g_kinks = 0;
    }
}

TEST_CASE("invalid layer specs are rejected with a reason") {
  auto s = tiny_spec("relu", 1, 1.0);
  s.ranks = 3;
  CHECK_THROWS_WITH(validate_spec(s), Catch::Contains("divisible"));
  s = tiny_spec("relu", 1, 0.0);
  CHECK_THROWS_WITH(validate_spec(s), Catch::Contains("capacity factor"));
  s = tiny_spec("relu", 5, 1.0);
  CHECK_THROWS_WITH(validate_spec(s), Catch::Contains("top-k"));
  s = tiny_spec("swiglu", 1, 1.0);
  CHECK_THROWS_WITH(validate_spec(s), Catch::Contains("ffn"));
}

TEST_CASE("the aux-loss gradient alone matches finite differences (zero upstream gradient)") {
  mpi::ensure_mpi_initialized();
  const auto spec = tiny_spec("relu", 1, 1.0);
  SwitchLayer layer(spec, MPI_COMM_SELF);
  auto x = random_vector(21, 32);
  const std::vector<float> zero(32, 0.0F);
  (void)layer.forward(x);
  const auto dx = layer.backward(zero);
  const auto dwr = layer.router_grad();
  double largest = 0;
  auto& wr = layer.router_weights();
  for (std::size_t i = 0; i < wr.size(); ++i) {
    const double num = central(layer, wr, i, x, zero, nullptr, 1e-2F);
    largest = std::max(largest, std::abs(num));
    CHECK(dwr[i] == Approx(num).margin(2e-5).epsilon(2e-2));
  }
  for (std::size_t i = 0; i < x.size(); ++i)
    CHECK(dx[i] == Approx(central(layer, x, i, x, zero, &x, 1e-2F)).margin(2e-5).epsilon(2e-2));
  CHECK(largest > 1e-4);  // the check is not vacuous

  auto off = spec;
  off.aux_loss = false;
  SwitchLayer quiet(off, MPI_COMM_SELF);
  (void)quiet.forward(x);
  const auto dx_off = quiet.backward(zero);
  for (float v : dx_off) CHECK(v == 0.0F);
}

TEST_CASE("backward before forward is refused rather than reading stale buffers") {
  mpi::ensure_mpi_initialized();
  SwitchLayer layer(tiny_spec("relu", 1, 1.0), MPI_COMM_SELF);
  CHECK_THROWS_AS(layer.backward(std::vector<float>(32, 1.0F)), std::logic_error);
}

TEST_CASE("a layer reused for a second input computes what a fresh layer computes (buffers carry nothing over)") {
  mpi::ensure_mpi_initialized();
  // Dropless with skew: the second input routes differently, so every reused buffer changes
  // size between the calls; capacity padding with drops keeps them equal in size.
  for (const std::string padding : {"dropless", "capacity"}) {
    INFO(padding);
    auto spec = tiny_spec("geglu", 2, 0.5);
    spec.padding = padding;
    spec.routing = "zipf:1.5";
    SwitchLayer reused(spec, MPI_COMM_SELF), fresh(spec, MPI_COMM_SELF);
    (void)reused.forward(random_vector(21, 32));
    (void)reused.backward(random_vector(22, 32));
    const auto x = random_vector(23, 32), g = random_vector(24, 32);
    const auto y_reused = reused.forward(x);
    const auto dx_reused = reused.backward(g);
    const auto y_fresh = fresh.forward(x);
    const auto dx_fresh = fresh.backward(g);
    CHECK(y_reused == y_fresh);
    CHECK(dx_reused == dx_fresh);
    CHECK(reused.router_grad() == fresh.router_grad());
    for (std::size_t e = 0; e < fresh.expert_grads().size(); ++e) {
      CHECK(reused.expert_grads()[e].wi == fresh.expert_grads()[e].wi);
      CHECK(reused.expert_grads()[e].wi1 == fresh.expert_grads()[e].wi1);
      CHECK(reused.expert_grads()[e].wo == fresh.expert_grads()[e].wo);
    }
  }
}
