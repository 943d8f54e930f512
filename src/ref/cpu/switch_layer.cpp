#include "ref/cpu/switch_layer.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "ref/cpu/rng.hpp"

namespace switchsim::ref::cpu {

namespace {
using Clock = std::chrono::steady_clock;

template <class F>
void timed(PhaseTimes* times, bool forward, Phase phase, F&& body) {
  const auto start = Clock::now();
  body();
  if (times == nullptr) return;
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  (forward ? times->forward_s : times->backward_s)[static_cast<std::size_t>(phase)] += s;
}

void barrier(MPI_Comm comm) { MPI_Barrier(comm); }

int as_mpi_count(std::int64_t v) {
  if (v < 0 || v > INT_MAX) throw std::length_error("all-to-all message too large for an MPI count");
  return static_cast<int>(v);
}

enum : std::uint64_t { kRouterSeed = 1, kExpertSeed = 2 };
}  // namespace

void validate_spec(const LayerSpec& s) {
  auto fail = [](const std::string& m) { throw std::invalid_argument(m); };
  if (s.ranks < 1) fail("ranks must be at least 1, got " + std::to_string(s.ranks));
  if (s.experts < 1) fail("experts must be at least 1, got " + std::to_string(s.experts));
  if (s.experts % s.ranks != 0)
    fail("experts (" + std::to_string(s.experts) + ") must be divisible by ranks (" + std::to_string(s.ranks) + ")");
  if (!(s.capacity_factor > 0) || !std::isfinite(s.capacity_factor))
    fail("capacity factor must be > 0, got " + std::to_string(s.capacity_factor));
  if (s.tokens_per_rank < 1) fail("tokens must be at least 1, got " + std::to_string(s.tokens_per_rank));
  if (s.d_model < 1) fail("d_model must be at least 1, got " + std::to_string(s.d_model));
  if (s.d_ff < 1) fail("d_ff must be at least 1, got " + std::to_string(s.d_ff));
  if (s.ffn != "relu" && s.ffn != "geglu") fail("ffn must be relu or geglu, got \"" + s.ffn + "\"");
  if (s.top_k < 1 || s.top_k > s.experts)
    fail("top-k must be between 1 and experts (" + std::to_string(s.experts) + "), got " + std::to_string(s.top_k));
  if (s.padding != "capacity" && s.padding != "dropless")
    fail("padding must be capacity or dropless, got \"" + s.padding + "\"");
  if (s.min_capacity < 0) fail("min_capacity must be >= 0, got " + std::to_string(s.min_capacity));
  if (s.target != "cpu") fail("the CPU reference runs target cpu, got \"" + s.target + "\"");
  if (s.dtype != "fp32" || s.router_dtype != "fp32") fail("the CPU reference computes in fp32 only");
  check_routing_spec(s.routing);
}

SwitchLayer::SwitchLayer(const LayerSpec& spec, MPI_Comm comm) : spec_(spec), comm_(comm) {
  validate_spec(spec_);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &ranks_);
  if (ranks_ != spec_.ranks)
    throw std::invalid_argument("the layer asks for " + std::to_string(spec_.ranks) + " ranks but runs on " +
                                std::to_string(ranks_));
  local_experts_ = spec_.experts / spec_.ranks;
  dropless_ = spec_.padding == "dropless";
  capacity_ = moe::expert_capacity({.tokens = spec_.tokens_per_rank,
                                     .experts = spec_.experts,
                                     .top_k = spec_.top_k,
                                     .capacity_factor = spec_.capacity_factor,
                                     .min_capacity = spec_.min_capacity});
  shape_ = ExpertShape{spec_.d_model, spec_.d_ff, spec_.ffn == "geglu"};
  bias_ = routing_bias(spec_.routing, spec_.experts);

  const auto d = static_cast<std::size_t>(spec_.d_model);
  const auto ff = static_cast<std::size_t>(spec_.d_ff);
  Rng router_rng(derive_seed(spec_.seed, kRouterSeed, 0));
  router_ = normal_vector(router_rng, d * static_cast<std::size_t>(spec_.experts), 1.0 / std::sqrt(double(d)));
  for (std::int64_t l = 0; l < local_experts_; ++l) {
    Rng rng(derive_seed(spec_.seed, kExpertSeed, static_cast<std::uint64_t>(rank_ * local_experts_ + l)));
    ExpertWeights w;
    w.wi = normal_vector(rng, d * ff, 1.0 / std::sqrt(double(d)));
    if (shape_.geglu) w.wi1 = normal_vector(rng, d * ff, 1.0 / std::sqrt(double(d)));
    w.wo = normal_vector(rng, ff * d, 1.0 / std::sqrt(double(ff)));
    experts_.push_back(std::move(w));
  }
  expert_grads_.resize(experts_.size());
  acts_.resize(experts_.size());
}

void SwitchLayer::plan_segments() {
  const std::int64_t E = spec_.experts;
  send_segments_.assign(static_cast<std::size_t>(E), {});
  std::int64_t offset = 0;
  for (std::int64_t e = 0; e < E; ++e) {
    const std::int64_t rows = dropless_ ? plan_.kept_per_expert[static_cast<std::size_t>(e)] : capacity_;
    send_segments_[static_cast<std::size_t>(e)] = {offset, rows};
    offset += rows;
  }
  send_rows_ = offset;
}

std::int64_t SwitchLayer::send_row(const Assignment& a) const {
  return send_segments_[static_cast<std::size_t>(a.expert)].offset + a.slot;
}

void SwitchLayer::zero_padding_rows(std::vector<float>& buffer) const {
  const std::int64_t d = spec_.d_model;
  for (std::size_t e = 0; e < send_segments_.size(); ++e) {
    const auto& seg = send_segments_[e];
    const std::int64_t kept = plan_.kept_per_expert[e];
    if (seg.rows > kept)
      std::memset(buffer.data() + (seg.offset + kept) * d, 0, static_cast<std::size_t>((seg.rows - kept) * d) * sizeof(float));
  }
}

void SwitchLayer::exchange(const std::vector<float>& send, std::vector<float>& recv, bool to_experts) {
  const auto& from = to_experts ? send_segments_ : recv_segments_;
  const auto& to = to_experts ? recv_segments_ : send_segments_;
  const std::int64_t d = spec_.d_model;
  recv.resize(static_cast<std::size_t>((to_experts ? recv_rows_ : send_rows_) * d));
  if (!dropless_) {
    const int count = as_mpi_count(local_experts_ * capacity_ * d);
    MPI_Alltoall(send.data(), count, MPI_FLOAT, recv.data(), count, MPI_FLOAT, comm_);
    return;
  }
  // Both layouts are grouped by peer rank: local_experts_ consecutive segments per peer.
  std::vector<int> send_counts(static_cast<std::size_t>(ranks_)), send_displs(send_counts.size());
  std::vector<int> recv_counts(send_counts.size()), recv_displs(send_counts.size());
  for (int r = 0; r < ranks_; ++r) {
    std::int64_t s_rows = 0, r_rows = 0;
    for (std::int64_t l = 0; l < local_experts_; ++l) {
      s_rows += from[static_cast<std::size_t>(r * local_experts_ + l)].rows;
      r_rows += to[static_cast<std::size_t>(r * local_experts_ + l)].rows;
    }
    const auto i = static_cast<std::size_t>(r);
    send_counts[i] = as_mpi_count(s_rows * d);
    recv_counts[i] = as_mpi_count(r_rows * d);
    send_displs[i] = as_mpi_count(from[static_cast<std::size_t>(r * local_experts_)].offset * d);
    recv_displs[i] = as_mpi_count(to[static_cast<std::size_t>(r * local_experts_)].offset * d);
  }
  MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_FLOAT, recv.data(), recv_counts.data(),
                recv_displs.data(), MPI_FLOAT, comm_);
}

void SwitchLayer::gather_expert_rows(const std::vector<float>& recv, std::int64_t local,
                                     std::vector<float>& out) const {
  const std::int64_t d = spec_.d_model;
  std::int64_t rows = 0;
  for (int s = 0; s < ranks_; ++s) rows += recv_segments_[static_cast<std::size_t>(s * local_experts_ + local)].rows;
  out.resize(static_cast<std::size_t>(rows * d));
  float* dst = out.data();
  for (int s = 0; s < ranks_; ++s) {
    const auto& seg = recv_segments_[static_cast<std::size_t>(s * local_experts_ + local)];
    if (seg.rows == 0) continue;  // (an empty vector's data() may be null, even for 0 bytes)
    std::memcpy(dst, recv.data() + seg.offset * d, static_cast<std::size_t>(seg.rows * d) * sizeof(float));
    dst += seg.rows * d;
  }
}

void SwitchLayer::scatter_expert_rows(const std::vector<float>& rows, std::int64_t local,
                                      std::vector<float>& recv) const {
  const std::int64_t d = spec_.d_model;
  const float* src = rows.data();
  for (int s = 0; s < ranks_; ++s) {
    const auto& seg = recv_segments_[static_cast<std::size_t>(s * local_experts_ + local)];
    if (seg.rows == 0) continue;
    std::memcpy(recv.data() + seg.offset * d, src, static_cast<std::size_t>(seg.rows * d) * sizeof(float));
    src += seg.rows * d;
  }
}

std::vector<float> SwitchLayer::forward(const std::vector<float>& x, PhaseTimes* times) {
  const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, E = spec_.experts;
  if (static_cast<std::int64_t>(x.size()) != T * d) throw std::invalid_argument("forward: x must be [tokens, d_model]");
  x_ = x;

  timed(times, true, Phase::router, [&] {
    probs_.resize(static_cast<std::size_t>(T * E));  // written by the sgemm (beta = 0)
    sgemm(false, false, T, E, d, 1.0F, x_.data(), router_.data(), 0.0F, probs_.data());
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t e = 0; e < E; ++e) probs_[static_cast<std::size_t>(t * E + e)] += bias_[static_cast<std::size_t>(e)];
    softmax_rows(probs_, T, E);
    plan_ = route_tokens(probs_, T, E, spec_.top_k, dropless_ ? -1 : capacity_, kAuxAlpha);
  });

  auto& send = send_;
  timed(times, true, Phase::dispatch, [&] {
    plan_segments();
    // Every row is written once: kept tokens copied in, capacity padding zeroed.
    send.resize(static_cast<std::size_t>(send_rows_ * d));
    zero_padding_rows(send);
    for (const auto& a : plan_.assignments) {
      if (!a.kept) continue;
      std::memcpy(send.data() + send_row(a) * d, x_.data() + a.token * d, static_cast<std::size_t>(d) * sizeof(float));
    }
  });

  auto& recv = recv_;
  barrier(comm_);
  timed(times, true, Phase::alltoall_dispatch, [&] {
    recv_segments_.assign(static_cast<std::size_t>(ranks_ * local_experts_), {});
    std::vector<std::int64_t> counts(static_cast<std::size_t>(ranks_ * local_experts_), capacity_);
    if (dropless_) {  // tell each expert's rank how many rows come from here
      MPI_Alltoall(plan_.kept_per_expert.data(), static_cast<int>(local_experts_), MPI_INT64_T, counts.data(),
                   static_cast<int>(local_experts_), MPI_INT64_T, comm_);
    }
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      recv_segments_[i] = {offset, counts[i]};
      offset += counts[i];
    }
    recv_rows_ = offset;
    exchange(send, recv, true);
  });

  auto& ret = expert_out_;
  timed(times, true, Phase::expert_ffn, [&] {
    ret.resize(recv.size());  // every row is written: the segments cover the buffer
    auto& y = expert_rows_;
    for (std::int64_t l = 0; l < local_experts_; ++l) {
      auto& act = acts_[static_cast<std::size_t>(l)];
      gather_expert_rows(recv, l, act.x);
      act.rows = static_cast<std::int64_t>(act.x.size()) / d;
      expert_forward(shape_, experts_[static_cast<std::size_t>(l)], act, y);
      scatter_expert_rows(y, l, ret);
    }
  });

  barrier(comm_);
  timed(times, true, Phase::alltoall_combine, [&] { exchange(ret, combine_in_, false); });

  auto& out = out_;
  timed(times, true, Phase::combine, [&] {
    // One pass over the tokens for their first choice (out = x + gate * y, or out = x for a
    // dropped token: the residual), then the other choices are added.
    out.resize(static_cast<std::size_t>(T * d));
    auto expert_row = [&](const Assignment& a) { return combine_in_.data() + send_row(a) * d; };
    for (std::int64_t t = 0; t < T; ++t) {
      const auto& a = plan_.assignments[static_cast<std::size_t>(t)];  // choice-major: choice 0 of token t
      const float* xt = x_.data() + t * d;
      float* o = out.data() + t * d;
      if (!a.kept) {
        std::memcpy(o, xt, static_cast<std::size_t>(d) * sizeof(float));
        continue;
      }
      const float* y = expert_row(a);
      for (std::int64_t j = 0; j < d; ++j) o[j] = xt[j] + a.gate * y[j];
    }
    for (std::size_t i = static_cast<std::size_t>(T); i < plan_.assignments.size(); ++i) {
      const auto& a = plan_.assignments[i];
      if (!a.kept) continue;
      const float* y = expert_row(a);
      float* o = out.data() + a.token * d;
      for (std::int64_t j = 0; j < d; ++j) o[j] += a.gate * y[j];
    }
  });
  return out;
}

std::vector<float> SwitchLayer::backward(const std::vector<float>& dout, PhaseTimes* times) {
  const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, E = spec_.experts;
  if (x_.empty()) throw std::logic_error("backward called before forward");
  if (static_cast<std::int64_t>(dout.size()) != T * d) throw std::invalid_argument("backward: dout must be [tokens, d_model]");

  auto& dx = dx_;
  auto& dcombine = dcombine_;
  auto& dgate = dgate_;
  timed(times, false, Phase::combine, [&] {
    dgate.assign(plan_.assignments.size(), 0.0F);
    dx = dout;  // residual path
    dcombine.resize(static_cast<std::size_t>(send_rows_ * d));  // kept rows written below, padding zeroed
    zero_padding_rows(dcombine);
    for (std::size_t i = 0; i < plan_.assignments.size(); ++i) {
      const auto& a = plan_.assignments[i];
      if (!a.kept) continue;
      const std::int64_t row = send_row(a);
      const float* g = dout.data() + a.token * d;
      const float* y = combine_in_.data() + row * d;
      float* dy = dcombine.data() + row * d;
      for (std::int64_t j = 0; j < d; ++j) dy[j] = a.gate * g[j];
      // BLAS's vectorized dot: a scalar double-precision loop here cost more than the copies.
      dgate[i] = cblas_sdot(static_cast<blasint>(d), g, 1, y, 1);
    }
  });

  auto& drecv = recv_;  // the forward's received rows are no longer needed (acts_ keep copies)
  barrier(comm_);
  timed(times, false, Phase::alltoall_combine, [&] { exchange(dcombine, drecv, true); });

  auto& dret = expert_out_;
  timed(times, false, Phase::expert_ffn, [&] {
    dret.resize(drecv.size());
    auto& dy = expert_rows_;
    for (std::int64_t l = 0; l < local_experts_; ++l) {
      const auto li = static_cast<std::size_t>(l);
      gather_expert_rows(drecv, l, dy);
      expert_backward(shape_, experts_[li], acts_[li], dy, expert_dx_, expert_grads_[li], scratch_);
      scatter_expert_rows(expert_dx_, l, dret);
    }
  });

  auto& dsend = send_;
  barrier(comm_);
  timed(times, false, Phase::alltoall_dispatch, [&] { exchange(dret, dsend, false); });

  timed(times, false, Phase::dispatch, [&] {
    for (const auto& a : plan_.assignments) {
      if (!a.kept) continue;
      const float* g = dsend.data() + send_row(a) * d;
      float* o = dx.data() + a.token * d;
      for (std::int64_t j = 0; j < d; ++j) o[j] += g[j];
    }
  });

  timed(times, false, Phase::router, [&] {
    auto& dlogits = dlogits_;
    router_logit_gradients(plan_, dgate, probs_, spec_.aux_loss ? kAuxAlpha : 0.0, dlogits);
    router_grad_.resize(router_.size());  // written by the sgemm (beta = 0)
    sgemm(true, false, d, E, T, 1.0F, x_.data(), dlogits.data(), 0.0F, router_grad_.data());
    sgemm(false, true, T, d, E, 1.0F, dlogits.data(), router_.data(), 1.0F, dx.data());
  });
  return dx;
}

}  // namespace switchsim::ref::cpu
