#include "ref/cuda/kernel_emulation.hpp"

#include "ref/cuda/launch_geometry.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace switchsim::ref::cuda {

namespace {
using Lanes = std::array<float, kWarp>;

// __shfl_xor_sync butterfly: after the 5 steps every lane holds op over all 32 lanes.
template <typename Op>
void butterfly(Lanes& v, Op op) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) {
    Lanes next{};
    for (int l = 0; l < kWarp; ++l) next[l] = op(v[l], v[l ^ offset]);
    v = next;
  }
}

void check_routing_args(std::span<const float> logits, std::int64_t tokens, std::int64_t experts, int top_k) {
  if (tokens < 0 || experts <= 0 || top_k <= 0 || top_k > experts ||
      static_cast<std::int64_t>(logits.size()) != tokens * experts)
    throw std::invalid_argument("softmax_topk: logits must be [T, E] with 0 < k <= E");
}
}  // namespace

Routing softmax_topk_warp(std::span<const float> logits, std::int64_t T, std::int64_t E, int k) {
  check_routing_args(logits, T, E, k);
  Routing r;
  r.probs.resize(static_cast<std::size_t>(T * E));
  r.expert_index.resize(static_cast<std::size_t>(T * k));
  r.gate.resize(static_cast<std::size_t>(T * k));
  for (std::int64_t t = 0; t < T; ++t) {
    const float* row = logits.data() + t * E;
    float* prow = r.probs.data() + t * E;
    Lanes m;
    for (int l = 0; l < kWarp; ++l) {
      m[l] = -std::numeric_limits<float>::infinity();
      for (std::int64_t e = l; e < E; e += kWarp) m[l] = std::max(m[l], row[e]);
    }
    butterfly(m, [](float a, float b) { return std::max(a, b); });
    Lanes s;
    for (int l = 0; l < kWarp; ++l) {
      s[l] = 0.0f;
      for (std::int64_t e = l; e < E; e += kWarp) s[l] += std::exp(row[e] - m[l]);
    }
    butterfly(s, [](float a, float b) { return a + b; });
    // Every lane holds the same m and s: the test is warp-uniform.
    if (!std::isfinite(m[0]) || !std::isfinite(s[0]) || !(s[0] > 0.0f)) {
      ++r.nonfinite_tokens;
      for (std::int64_t e = 0; e < E; ++e) prow[e] = 0.0f;
      for (int j = 0; j < k; ++j) {
        r.expert_index[static_cast<std::size_t>(j * T + t)] = j;  // the lowest unchosen expert
        r.gate[static_cast<std::size_t>(j * T + t)] = 0.0f;
      }
      continue;
    }
    for (int l = 0; l < kWarp; ++l)
      for (std::int64_t e = l; e < E; e += kWarp) prow[e] = std::exp(row[e] - m[l]) / s[l];
    // k rounds of arg-max over (prob, index), ties to the lower index.
    for (int j = 0; j < k; ++j) {
      std::array<float, kWarp> best_p{};
      std::array<std::int32_t, kWarp> best_e{};
      for (int l = 0; l < kWarp; ++l) {
        best_p[l] = -1.0f;
        best_e[l] = std::numeric_limits<std::int32_t>::max();
        for (std::int64_t e = l; e < E; e += kWarp) {
          bool taken = false;
          for (int i = 0; i < j; ++i) taken = taken || r.expert_index[static_cast<std::size_t>(i * T + t)] == e;
          if (!taken && prow[e] > best_p[l]) {
            best_p[l] = prow[e];
            best_e[l] = static_cast<std::int32_t>(e);
          }
        }
      }
      for (int offset = kWarp / 2; offset > 0; offset /= 2) {
        auto np = best_p;
        auto ne = best_e;
        for (int l = 0; l < kWarp; ++l) {
          const float op = best_p[l ^ offset];
          const std::int32_t oe = best_e[l ^ offset];
          if (op > best_p[l] || (op == best_p[l] && oe < best_e[l])) {
            np[l] = op;
            ne[l] = oe;
          }
        }
        best_p = np;
        best_e = ne;
      }
      r.expert_index[static_cast<std::size_t>(j * T + t)] = best_e[0];
      r.gate[static_cast<std::size_t>(j * T + t)] = best_p[0];
    }
  }
  return r;
}

Routing softmax_topk_naive(std::span<const float> logits, std::int64_t T, std::int64_t E, int k) {
  check_routing_args(logits, T, E, k);
  Routing r;
  r.probs.resize(static_cast<std::size_t>(T * E));
  r.expert_index.resize(static_cast<std::size_t>(T * k));
  r.gate.resize(static_cast<std::size_t>(T * k));
  for (std::int64_t t = 0; t < T; ++t) {
    const float* row = logits.data() + t * E;
    double m = row[0];
    for (std::int64_t e = 1; e < E; ++e) m = std::max<double>(m, row[e]);
    double sum = 0;
    for (std::int64_t e = 0; e < E; ++e) sum += std::exp(row[e] - m);
    for (std::int64_t e = 0; e < E; ++e) r.probs[static_cast<std::size_t>(t * E + e)] = static_cast<float>(std::exp(row[e] - m) / sum);
    std::vector<bool> taken(static_cast<std::size_t>(E), false);
    for (int j = 0; j < k; ++j) {
      std::int64_t best = -1;
      for (std::int64_t e = 0; e < E; ++e)
        if (!taken[static_cast<std::size_t>(e)] && (best < 0 || row[e] > row[best])) best = e;
      taken[static_cast<std::size_t>(best)] = true;
      r.expert_index[static_cast<std::size_t>(j * T + t)] = static_cast<std::int32_t>(best);
      r.gate[static_cast<std::size_t>(j * T + t)] = r.probs[static_cast<std::size_t>(t * E + best)];
    }
  }
  return r;
}

std::vector<float> router_logit_grad(std::span<const float> probs, std::span<const std::int32_t> idx,
                                     std::span<const float> d_gate, std::int64_t T, std::int64_t E, int k,
                                     double aux_alpha) {
  if (T <= 0 || static_cast<std::int64_t>(probs.size()) != T * E || static_cast<std::int64_t>(idx.size()) != T * k ||
      d_gate.size() != idx.size())
    throw std::invalid_argument("router_logit_grad: probs [T, E], expert_index and d_gate [k, T]");
  std::vector<std::int32_t> first(static_cast<std::size_t>(E), 0);
  for (std::int64_t t = 0; t < T; ++t) ++first[static_cast<std::size_t>(idx[static_cast<std::size_t>(t)])];
  const auto aux_scale = static_cast<float>(aux_alpha * static_cast<double>(E) / (static_cast<double>(T) * T));
  std::vector<float> d_logits(probs.size());
  for (std::int64_t t = 0; t < T; ++t) {
    const float* p = probs.data() + t * E;
    std::vector<float> dp(static_cast<std::size_t>(E));
    for (std::int64_t e = 0; e < E; ++e) dp[static_cast<std::size_t>(e)] = aux_scale * static_cast<float>(first[static_cast<std::size_t>(e)]);
    for (int j = 0; j < k; ++j)
      dp[static_cast<std::size_t>(idx[static_cast<std::size_t>(j * T + t)])] += d_gate[static_cast<std::size_t>(j * T + t)];
    float dot = 0.0f;
    for (std::int64_t e = 0; e < E; ++e) dot += p[e] * dp[static_cast<std::size_t>(e)];
    for (std::int64_t e = 0; e < E; ++e) d_logits[static_cast<std::size_t>(t * E + e)] = p[e] * (dp[static_cast<std::size_t>(e)] - dot);
  }
  return d_logits;
}

Positions positions_chunked(std::span<const std::int32_t> idx, std::int64_t E, std::int64_t chunk) {
  if (chunk <= 0 || chunk % kWarp != 0 || E <= 0) throw std::invalid_argument("positions_chunked");
  const auto A = static_cast<std::int64_t>(idx.size());
  const std::int64_t chunks = std::max<std::int64_t>(1, (A + chunk - 1) / chunk);
  // Phase 1: counts per chunk and expert.
  std::vector<std::int32_t> counts(static_cast<std::size_t>(chunks * E), 0);
  for (std::int64_t c = 0; c < chunks; ++c)
    for (std::int64_t a = c * chunk; a < std::min(A, (c + 1) * chunk); ++a) ++counts[static_cast<std::size_t>(c * E + idx[static_cast<std::size_t>(a)])];
  // Phase 2: per expert, exclusive scan over chunks (in place), totals per expert.
  Positions p;
  p.expert_counts.assign(static_cast<std::size_t>(E), 0);
  for (std::int64_t e = 0; e < E; ++e) {
    std::int32_t running = 0;
    for (std::int64_t c = 0; c < chunks; ++c) {
      const auto n = counts[static_cast<std::size_t>(c * E + e)];
      counts[static_cast<std::size_t>(c * E + e)] = running;
      running += n;
    }
    p.expert_counts[static_cast<std::size_t>(e)] = running;
  }
  // Phase 3: one warp per chunk, 32 assignments per step.
  p.position.assign(static_cast<std::size_t>(A), 0);
  for (std::int64_t c = 0; c < chunks; ++c) {
    std::vector<std::int32_t> running(static_cast<std::size_t>(E), 0);  // shared memory
    for (std::int64_t base = c * chunk; base < std::min(A, (c + 1) * chunk); base += kWarp) {
      std::array<std::int32_t, kWarp> lane_e{};
      std::array<std::int32_t, kWarp> lane_pos{};
      const std::int64_t end = std::min<std::int64_t>({A, (c + 1) * chunk, base + kWarp});
      for (int l = 0; l < kWarp; ++l) lane_e[l] = base + l < end ? idx[static_cast<std::size_t>(base + l)] : -1;
      for (int l = 0; l < kWarp; ++l) {
        if (lane_e[l] < 0) continue;
        std::uint32_t mask = 0;  // __match_any_sync
        for (int o = 0; o < kWarp; ++o)
          if (lane_e[o] == lane_e[l]) mask |= 1u << o;
        const std::uint32_t lower = (1u << l) - 1u;
        lane_pos[l] = counts[static_cast<std::size_t>(c * E + lane_e[l])] + running[static_cast<std::size_t>(lane_e[l])] +
                      std::popcount(mask & lower);
      }
      // Leaders (lowest lane of each group) advance the running counts after all lanes read them.
      for (int l = 0; l < kWarp; ++l) {
        if (lane_e[l] < 0) continue;
        std::uint32_t mask = 0;
        for (int o = 0; o < kWarp; ++o)
          if (lane_e[o] == lane_e[l]) mask |= 1u << o;
        if ((mask & ((1u << l) - 1u)) == 0) running[static_cast<std::size_t>(lane_e[l])] += std::popcount(mask);
      }
      for (std::int64_t a = base; a < end; ++a) p.position[static_cast<std::size_t>(a)] = lane_pos[static_cast<std::size_t>(a - base)];
    }
  }
  return p;
}

Positions positions_naive(std::span<const std::int32_t> idx, std::int64_t E) {
  Positions p;
  p.expert_counts.assign(static_cast<std::size_t>(E), 0);
  p.position.resize(idx.size());
  for (std::size_t a = 0; a < idx.size(); ++a) p.position[a] = static_cast<std::int32_t>(p.expert_counts[static_cast<std::size_t>(idx[a])]++);
  return p;
}

Slots capacity_slots(std::span<const std::int32_t> idx, std::span<const std::int32_t> pos, std::int64_t T,
                     std::int64_t E, std::int64_t C) {
  if (T <= 0 || idx.size() % static_cast<std::size_t>(T) != 0 || pos.size() != idx.size())
    throw std::invalid_argument("capacity_slots: assignments must be k*T");
  Slots s;
  s.token_slot.assign(idx.size(), -1);
  s.slot_assignment.assign(static_cast<std::size_t>(E * C), -1);
  for (std::size_t a = 0; a < idx.size(); ++a) {
    if (pos[a] >= C) continue;
    const auto slot = static_cast<std::int32_t>(idx[a] * C + pos[a]);
    s.token_slot[a] = slot;
    s.slot_assignment[static_cast<std::size_t>(slot)] = static_cast<std::int32_t>(a);
  }
  return s;
}

Slots dropless_slots(std::span<const std::int32_t> idx, std::span<const std::int32_t> pos, std::int64_t T,
                     std::span<const std::int64_t> counts) {
  if (T <= 0 || idx.size() % static_cast<std::size_t>(T) != 0 || pos.size() != idx.size())
    throw std::invalid_argument("dropless_slots: assignments must be k*T");
  std::vector<std::int64_t> offsets(counts.size() + 1, 0);
  for (std::size_t e = 0; e < counts.size(); ++e) offsets[e + 1] = offsets[e] + counts[e];
  Slots s;
  s.token_slot.assign(idx.size(), -1);
  s.slot_assignment.assign(static_cast<std::size_t>(offsets.back()), -1);
  for (std::size_t a = 0; a < idx.size(); ++a) {
    const auto slot = static_cast<std::int32_t>(offsets[static_cast<std::size_t>(idx[a])] + pos[a]);
    s.token_slot[a] = slot;
    s.slot_assignment[static_cast<std::size_t>(slot)] = static_cast<std::int32_t>(a);
  }
  return s;
}

Slots make_slots_strided(std::span<const std::int32_t> idx, std::span<const std::int32_t> pos,
                         std::span<const std::int32_t> offsets, std::int64_t T, std::int64_t rows, std::int64_t C,
                         std::int64_t grid, int block) {
  if (T <= 0 || idx.size() != pos.size() || rows < 0) throw std::invalid_argument("make_slots_strided");
  Slots s;
  s.token_slot.assign(idx.size(), -2);  // -2: never written
  s.slot_assignment.assign(static_cast<std::size_t>(rows), -1);
  for_each_grid_stride(static_cast<std::int64_t>(idx.size()), grid, block, [&](std::int64_t a) {
    const auto e = idx[static_cast<std::size_t>(a)];
    const auto p = pos[static_cast<std::size_t>(a)];
    std::int32_t slot = -1;
    if (C >= 0) {
      if (p < C) slot = static_cast<std::int32_t>(e * C + p);
    } else {
      slot = offsets[static_cast<std::size_t>(e)] + p;
    }
    s.token_slot[static_cast<std::size_t>(a)] = slot;
    if (slot >= 0) s.slot_assignment[static_cast<std::size_t>(slot)] = static_cast<std::int32_t>(a);
  });
  return s;
}

std::vector<float> scatter_dense_strided(std::span<const std::int32_t> token_slot, std::span<const float> gate,
                                         std::int64_t T, std::int64_t S, std::int64_t grid, int block) {
  std::vector<float> dense(static_cast<std::size_t>(T * S), 0.0f);
  for_each_grid_stride(static_cast<std::int64_t>(token_slot.size()), grid, block, [&](std::int64_t a) {
    const auto s = token_slot[static_cast<std::size_t>(a)];
    if (s >= 0) dense[static_cast<std::size_t>((a % T) * S + s)] = gate.empty() ? 1.0f : gate[static_cast<std::size_t>(a)];
  });
  return dense;
}

std::vector<float> gather_dense_strided(std::span<const std::int32_t> token_slot, std::span<const float> dense,
                                        std::int64_t T, std::int64_t S, std::int64_t grid, int block) {
  std::vector<float> d_gate(token_slot.size(), std::numeric_limits<float>::quiet_NaN());
  for_each_grid_stride(static_cast<std::int64_t>(token_slot.size()), grid, block, [&](std::int64_t a) {
    const auto s = token_slot[static_cast<std::size_t>(a)];
    d_gate[static_cast<std::size_t>(a)] = s >= 0 ? dense[static_cast<std::size_t>((a % T) * S + s)] : 0.0f;
  });
  return d_gate;
}

std::vector<float> router_gemm_tiled(std::span<const float> a, std::span<const float> b, std::span<const float> bias,
                                     std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t max_grid_y) {
  const auto l = tile_launch(m, n, 16, max_grid_y);
  const std::int64_t tile = l.tile;
  std::vector<float> c(static_cast<std::size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  for (std::int64_t by = 0; by < l.grid_y; ++by)
    for (std::int64_t bx = 0; bx < l.grid_x; ++bx)
      for (std::int64_t ty = by; ty < l.row_tiles; ty += l.grid_y)
        for (std::int64_t y = 0; y < tile; ++y)
          for (std::int64_t x = 0; x < tile; ++x) {
            const std::int64_t row = ty * tile + y, col = bx * tile + x;
            float acc = 0.0f;
            for (std::int64_t k0 = 0; k0 < k; k0 += tile)
              for (std::int64_t i = 0; i < tile; ++i) {
                const std::int64_t kk = k0 + i;
                const float av = (row < m && kk < k) ? a[static_cast<std::size_t>(row * k + kk)] : 0.0f;
                const float bv = (kk < k && col < n) ? b[static_cast<std::size_t>(kk * n + col)] : 0.0f;
                acc += av * bv;
              }
            if (row >= m || col >= n) continue;
            if (!bias.empty()) acc += bias[static_cast<std::size_t>(col)];
            c[static_cast<std::size_t>(row * n + col)] = acc;
          }
  return c;
}

std::vector<float> dispatch_gather(std::span<const float> x, std::span<const std::int32_t> slot_assignment,
                                   std::int64_t T, std::int64_t d) {
  std::vector<float> out(slot_assignment.size() * static_cast<std::size_t>(d), 0.0f);
  for (std::size_t s = 0; s < slot_assignment.size(); ++s) {
    if (slot_assignment[s] < 0) continue;
    const std::int64_t t = slot_assignment[s] % T;
    for (std::int64_t i = 0; i < d; ++i) out[s * static_cast<std::size_t>(d) + static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(t * d + i)];
  }
  return out;
}

std::vector<float> combine_gather(std::span<const float> out, std::span<const std::int32_t> token_slot,
                                  std::span<const float> gate, std::int64_t T, std::int64_t d) {
  std::vector<float> y(static_cast<std::size_t>(T * d), 0.0f);
  const auto k = static_cast<std::int64_t>(token_slot.size()) / std::max<std::int64_t>(T, 1);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t i = 0; i < d; ++i) {
      float acc = 0.0f;  // fp32 accumulate over the k choices, in choice order
      for (std::int64_t j = 0; j < k; ++j) {
        const auto slot = token_slot[static_cast<std::size_t>(j * T + t)];
        if (slot >= 0) acc += gate[static_cast<std::size_t>(j * T + t)] * out[static_cast<std::size_t>(slot * d + i)];
      }
      y[static_cast<std::size_t>(t * d + i)] = acc;
    }
  return y;
}

std::vector<float> dispatch_mask(std::span<const std::int32_t> token_slot, std::int64_t T, std::int64_t S) {
  std::vector<float> m(static_cast<std::size_t>(T * S), 0.0f);
  for (std::size_t a = 0; a < token_slot.size(); ++a)
    if (token_slot[a] >= 0) m[static_cast<std::size_t>((static_cast<std::int64_t>(a) % T) * S + token_slot[a])] = 1.0f;
  return m;
}

std::vector<float> combine_weights(std::span<const std::int32_t> token_slot, std::span<const float> gate,
                                   std::int64_t T, std::int64_t S) {
  std::vector<float> w(static_cast<std::size_t>(T * S), 0.0f);
  for (std::size_t a = 0; a < token_slot.size(); ++a)
    if (token_slot[a] >= 0) w[static_cast<std::size_t>((static_cast<std::int64_t>(a) % T) * S + token_slot[a])] = gate[a];
  return w;
}

std::vector<float> dispatch_einsum(std::span<const float> mask, std::span<const float> x, std::int64_t T,
                                   std::int64_t S, std::int64_t d) {
  std::vector<float> out(static_cast<std::size_t>(S * d), 0.0f);
  for (std::int64_t s = 0; s < S; ++s)
    for (std::int64_t t = 0; t < T; ++t) {
      const float m = mask[static_cast<std::size_t>(t * S + s)];
      for (std::int64_t i = 0; i < d; ++i) out[static_cast<std::size_t>(s * d + i)] += m * x[static_cast<std::size_t>(t * d + i)];
    }
  return out;
}

std::vector<float> combine_einsum(std::span<const float> w, std::span<const float> out, std::int64_t T,
                                  std::int64_t S, std::int64_t d) {
  std::vector<float> y(static_cast<std::size_t>(T * d), 0.0f);
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t s = 0; s < S; ++s) {
      const float c = w[static_cast<std::size_t>(t * S + s)];
      for (std::int64_t i = 0; i < d; ++i) y[static_cast<std::size_t>(t * d + i)] += c * out[static_cast<std::size_t>(s * d + i)];
    }
  return y;
}

}  // namespace switchsim::ref::cuda
