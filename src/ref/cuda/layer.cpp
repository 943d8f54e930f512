// The CUDA reference Switch layer: one rank per GPU in this process (NCCL communicators from
// ncclCommInitAll), phases timed with CUDA events, warm-up then repeats, forward + backward.
// Kernels live in kernels.cu; the bookkeeping (capacity, offsets, alltoallv plans, cuBLAS
// parameters, workspace) in plain C++ files tested on the CPU.

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ref/cuda/api.hpp"
#include "ref/cuda/counter_hash.hpp"
#include "ref/cuda/device.hpp"
#include "ref/cuda/gemm_params.hpp"
#include "ref/cuda/kernels.hpp"
#include "ref/cuda/phase_stats.hpp"
#include "ref/cuda/routing_bias.hpp"
#include "ref/cuda/routing_plan.hpp"
#include "ref/cuda/workspace.hpp"

#ifdef SWITCHSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace switchsim::ref::cuda {
namespace {

constexpr std::int64_t kScanChunk = 1024;
constexpr int kBf16 = 2;
// Event marks: 0 before the router, 1..6 after each forward phase, 7..12 after each backward
// phase (combine, alltoall_combine, expert_ffn, alltoall_dispatch, dispatch, router).
constexpr int kMarks = 13;

void validate(const LayerSpec& s, int devices) {
  auto bad = [](const std::string& why) { throw std::invalid_argument("ref/cuda: " + why); };
  if (s.dtype != "bf16") bad(fmt::format("dtype '{}': the CUDA reference runs bf16 GEMMs (pass dtype bf16)", s.dtype));
  if (s.router_dtype != "fp32") bad(fmt::format("router_dtype '{}': only fp32 is implemented", s.router_dtype));
  if (s.ffn != "relu" && s.ffn != "geglu") bad(fmt::format("ffn '{}': expected relu or geglu", s.ffn));
  if (s.padding != "capacity" && s.padding != "dropless")
    bad(fmt::format("padding '{}': expected capacity or dropless", s.padding));
  if (s.ranks < 1 || s.experts < 1 || s.experts % s.ranks != 0)
    bad(fmt::format("experts ({}) must be a positive multiple of ranks ({})", s.experts, s.ranks));
  if (s.ranks > devices)
    bad(fmt::format("{} ranks need {} GPUs in this process, {} visible", s.ranks, s.ranks, devices));
  if (s.top_k < 1 || s.top_k > 8 || s.top_k > s.experts) bad("top_k must be in [1, min(8, experts)]");
  if (s.tokens_per_rank < 1 || s.d_model < 1 || s.d_ff < 1) bad("tokens_per_rank, d_model, d_ff must be >= 1");
  if (s.capacity_factor <= 0) bad("capacity_factor must be > 0");
  const std::int64_t C = moe::expert_capacity({.tokens = s.tokens_per_rank,
                                                .experts = s.experts,
                                                .top_k = s.top_k,
                                                .capacity_factor = s.capacity_factor,
                                                .min_capacity = s.min_capacity});
  if (s.experts * C >= (std::int64_t{1} << 31) || s.ranks * s.tokens_per_rank * s.top_k >= (std::int64_t{1} << 31))
    bad("slot indices overflow int32");
}

struct Comms {
  std::vector<ncclComm_t> comms;
  Comms() = default;
  Comms(const Comms&) = delete;
  Comms& operator=(const Comms&) = delete;
  ~Comms() {
    for (auto c : comms) ncclCommDestroy(c);
  }
};

// The processes of one layer: a single process driving `ranks` GPUs (ncclCommInitAll), or one
// process per GPU under MPI (ncclCommInitRank, unique id broadcast from rank 0).
struct World {
  bool mpi = false;
  int rank = 0;  // this process's rank (MPI), 0 otherwise
  int size = 1;  // processes
};

World make_world(bool use_mpi) {
  World w;
  if (!use_mpi) return w;
#ifdef SWITCHSIM_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) throw std::invalid_argument("ref/cuda: RunOptions::mpi needs MPI_Init before measure_layer");
  w.mpi = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  return w;
#else
  throw std::invalid_argument("ref/cuda: RunOptions::mpi, but switchsim was built without MPI");
#endif
}

double reduce_max(const World& w, double v) {
#ifdef SWITCHSIM_HAVE_MPI
  if (w.mpi) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
#else
  (void)w;
#endif
  return v;
}

double reduce_sum(const World& w, double v) {
#ifdef SWITCHSIM_HAVE_MPI
  if (w.mpi) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
#else
  (void)w;
#endif
  return v;
}

// counts_by_rank[rank] filled for this process's rank; fills all the others.
void allgather_counts(const World& w, std::vector<std::vector<std::int64_t>>& counts_by_rank) {
#ifdef SWITCHSIM_HAVE_MPI
  if (!w.mpi) return;
  const auto E = counts_by_rank.front().size();
  std::vector<std::int64_t> all(E * static_cast<std::size_t>(w.size));
  MPI_Allgather(counts_by_rank[static_cast<std::size_t>(w.rank)].data(), static_cast<int>(E), MPI_INT64_T, all.data(),
                static_cast<int>(E), MPI_INT64_T, MPI_COMM_WORLD);
  for (std::size_t r = 0; r < counts_by_rank.size(); ++r)
    std::copy(all.begin() + static_cast<std::ptrdiff_t>(r * E), all.begin() + static_cast<std::ptrdiff_t>((r + 1) * E),
              counts_by_rank[r].begin());
#else
  (void)w;
  (void)counts_by_rank;
#endif
}

void broadcast_id(const World& w, ncclUniqueId& id) {
#ifdef SWITCHSIM_HAVE_MPI
  if (w.mpi) MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
#else
  (void)w;
  (void)id;
#endif
}

struct Rank {
  Rank(int rank_, int device_, const Workspace& layout_, std::int64_t pointer_slots)
      : rank(rank_),
        device(device_),
        stream(device_),
        cublas(device_, stream.get()),
        layout(layout_),
        memory(device_, layout_.total_bytes),
        pointers(device_, pointer_slots * static_cast<std::int64_t>(sizeof(void*))) {
    for (int i = 0; i < kMarks; ++i) marks.emplace_back(device);
  }
  int rank;    // in the layer's all-to-all group
  int device;  // CUDA device of this process
  ncclComm_t comm = nullptr;  // owned by Layer::comms_
  Stream stream;
  CublasHandle cublas;
  Workspace layout;
  DeviceBuffer memory;
  DeviceBuffer pointers;  // device pointer arrays of the grouped GEMMs
  std::vector<Event> marks;

  template <typename T = void>
  T* at(const std::string& name) const {
    const auto t = layout.find(name);
    if (!t) throw std::logic_error("ref/cuda: no tensor " + name + " in the workspace");
    return reinterpret_cast<T*>(static_cast<char*>(memory.get()) + t->offset);
  }
  std::int64_t bytes(const std::string& name) const { return layout.find(name)->bytes; }
  void use() const { check_cuda(cudaSetDevice(device), "cudaSetDevice"); }
};

// Which tensors an expert GEMM reads and writes (weights indexed by expert, activations by row).
struct Operand {
  const char* tensor;
  bool weight;
};
struct Binding {
  Operand a, b, c;
};
Binding binding_of(const std::string& name) {
  if (name == "fwd_w1") return {{"expert_in", false}, {"w1", true}, {"act_a", false}};
  if (name == "fwd_w3") return {{"expert_in", false}, {"w3", true}, {"act_b", false}};
  if (name == "fwd_w2") return {{"hidden", false}, {"w2", true}, {"expert_out", false}};
  if (name == "bwd_dh") return {{"d_expert_out", false}, {"w2", true}, {"d_hidden", false}};
  if (name == "bwd_dw2") return {{"hidden", false}, {"d_expert_out", false}, {"dw2", true}};
  if (name == "bwd_dx_w3") return {{"d_act_b", false}, {"w3", true}, {"d_expert_in", false}};
  if (name == "bwd_dw3") return {{"expert_in", false}, {"d_act_b", false}, {"dw3", true}};
  if (name == "bwd_dx_w1") return {{"d_act_a", false}, {"w1", true}, {"d_expert_in", false}};
  if (name == "bwd_dw1") return {{"expert_in", false}, {"d_act_a", false}, {"dw1", true}};
  throw std::logic_error("ref/cuda: unknown expert GEMM " + name);
}

class Layer {
 public:
  Layer(const LayerSpec& spec, bool einsum_tensors, const World& world) : spec_(spec), world_(world) {
    const int devices = visible_device_count();
    if (world.mpi && world.size != spec.ranks)
      throw std::invalid_argument(fmt::format("ref/cuda: {} MPI processes for {} ranks (one process per GPU)",
                                              world.size, spec.ranks));
    validate(spec, world.mpi ? static_cast<int>(spec.ranks) : devices);
    R_ = static_cast<int>(spec.ranks);
    geglu_ = spec.ffn == "geglu";
    dropless_ = spec.padding == "dropless";
    C_ = moe::expert_capacity({.tokens = spec.tokens_per_rank,
                               .experts = spec.experts,
                               .top_k = spec.top_k,
                               .capacity_factor = spec.capacity_factor,
                               .min_capacity = spec.min_capacity});
    shape_.tokens = spec.tokens_per_rank;
    shape_.d_model = spec.d_model;
    shape_.d_ff = spec.d_ff;
    shape_.experts = spec.experts;
    shape_.ranks = spec.ranks;
    shape_.top_k = spec.top_k;
    shape_.capacity = C_;
    shape_.geglu = geglu_;
    shape_.dropless = dropless_;
    shape_.backward = spec.backward;
    shape_.einsum_baseline = einsum_tensors && !dropless_;
    const Workspace layout = layer_workspace(shape_);
    const std::int64_t pointer_slots = 3 * std::max<std::int64_t>(1, spec.experts);
    if (world.mpi) {
      // One GPU per process: the local rank picks the device (Open MPI's, else rank mod devices).
      const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
      const int device = (local != nullptr ? std::atoi(local) : world.rank) % devices;
      ranks_.push_back(std::make_unique<Rank>(world.rank, device, layout, pointer_slots));
    } else {
      for (int r = 0; r < R_; ++r) ranks_.push_back(std::make_unique<Rank>(r, r, layout, pointer_slots));
    }
    if (R_ > 1 && world.mpi) {
      ncclUniqueId id{};
      if (world.rank == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
      broadcast_id(world, id);
      comms_.comms.resize(1);
      ranks_.front()->use();
      check_nccl(ncclCommInitRank(&comms_.comms[0], R_, id, world.rank), "ncclCommInitRank");
      ranks_.front()->comm = comms_.comms[0];
    } else if (R_ > 1) {
      comms_.comms.resize(static_cast<std::size_t>(R_));
      std::vector<int> devs(static_cast<std::size_t>(R_));
      for (int r = 0; r < R_; ++r) devs[static_cast<std::size_t>(r)] = r;
      check_nccl(ncclCommInitAll(comms_.comms.data(), R_, devs.data()), "ncclCommInitAll");
      for (int r = 0; r < R_; ++r) ranks_[static_cast<std::size_t>(r)]->comm = comms_.comms[static_cast<std::size_t>(r)];
    }
    init_data();
  }

  std::int64_t capacity() const { return C_; }
  std::int64_t workspace_bytes() const { return ranks_.front()->layout.total_bytes; }
  bool einsum_ready() const { return shape_.einsum_baseline; }

  void step(DispatchImpl impl) {
    if (impl == DispatchImpl::einsum && !shape_.einsum_baseline)
      throw std::invalid_argument("ref/cuda: the one-hot einsum baseline needs padding=capacity");
    mark(0);
    router_forward();
    mark(1);
    dispatch_forward(impl);
    mark(2);
    alltoall("dispatched", "expert_in", false);
    mark(3);
    ffn_forward();
    mark(4);
    alltoall("expert_out", "returned", true);
    mark(5);
    combine_forward(impl);
    mark(6);
    if (!spec_.backward) return;
    combine_backward(impl);
    mark(7);
    alltoall("d_returned", "d_expert_out", false);
    mark(8);
    ffn_backward();
    mark(9);
    alltoall("d_expert_in", "d_dispatched", true);
    mark(10);
    dispatch_backward(impl);
    mark(11);
    router_backward();
    mark(12);
  }

  void synchronize() const {
    for (const auto& r : ranks_) {
      r->use();
      check_cuda(cudaStreamSynchronize(r->stream.get()), "cudaStreamSynchronize");
    }
  }

  // Seconds between marks a and b, the slowest rank.
  double span_s(int a, int b) const {
    double worst = 0;
    for (const auto& r : ranks_) worst = std::max(worst, elapsed_s(r->marks[static_cast<std::size_t>(a)], r->marks[static_cast<std::size_t>(b)]));
    return reduce_max(world_, worst);
  }
  // Forward + backward of phase i (index into kLayerPhases), the slowest rank.
  double phase_s(int i) const {
    double worst = 0;
    for (const auto& r : ranks_) {
      double t = elapsed_s(r->marks[static_cast<std::size_t>(i)], r->marks[static_cast<std::size_t>(i + 1)]);
      if (spec_.backward) t += elapsed_s(r->marks[static_cast<std::size_t>(11 - i)], r->marks[static_cast<std::size_t>(12 - i)]);
      worst = std::max(worst, t);
    }
    return reduce_max(world_, worst);
  }

  // Rank 0's expert counts, and drop / aux-loss statistics averaged over ranks (after a step).
  void routing_statistics(std::vector<std::int64_t>& counts0, double& dropped, double& aux,
                          std::int64_t& nonfinite) const {
    const std::int64_t T = spec_.tokens_per_rank, E = spec_.experts, k = spec_.top_k;
    dropped = 0;
    aux = 0;
    double nonfinite_sum = 0;
    for (const auto& r : ranks_) {
      r->use();
      std::int32_t bad = 0;
      check_cuda(cudaMemcpy(&bad, r->at("nonfinite_tokens"), 4, cudaMemcpyDeviceToHost), "nonfinite D2H");
      nonfinite_sum += bad;
      std::vector<std::int32_t> c32(static_cast<std::size_t>(E));
      std::vector<std::int32_t> idx(static_cast<std::size_t>(T * k));
      std::vector<float> probs(static_cast<std::size_t>(T * E));
      check_cuda(cudaMemcpy(c32.data(), r->at("expert_counts"), c32.size() * 4, cudaMemcpyDeviceToHost), "counts D2H");
      check_cuda(cudaMemcpy(idx.data(), r->at("expert_index"), idx.size() * 4, cudaMemcpyDeviceToHost), "index D2H");
      check_cuda(cudaMemcpy(probs.data(), r->at("probs"), probs.size() * 4, cudaMemcpyDeviceToHost), "probs D2H");
      std::vector<std::int64_t> counts(c32.begin(), c32.end());
      if (r->rank == 0) counts0 = counts;
      dropped += dropless_ ? 0.0 : dropped_fraction(counts, C_);
      std::vector<std::int64_t> top1(static_cast<std::size_t>(E), 0);
      for (std::int64_t t = 0; t < T; ++t) ++top1[static_cast<std::size_t>(idx[static_cast<std::size_t>(t)])];
      std::vector<double> mean(static_cast<std::size_t>(E), 0.0);
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t e = 0; e < E; ++e) mean[static_cast<std::size_t>(e)] += probs[static_cast<std::size_t>(t * E + e)] / static_cast<double>(T);
      aux += aux_loss(top1, mean);
    }
    dropped = reduce_sum(world_, dropped) / R_;
    aux = reduce_sum(world_, aux) / R_;
    nonfinite = static_cast<std::int64_t>(reduce_sum(world_, nonfinite_sum));
  }

  // y of this process's first rank (under MPI: its own rank).
  std::vector<float> output_rank0() const {
    const auto& r = *ranks_.front();
    r.use();
    std::vector<std::uint16_t> raw(static_cast<std::size_t>(spec_.tokens_per_rank * spec_.d_model));
    check_cuda(cudaMemcpy(raw.data(), r.at("y"), raw.size() * 2, cudaMemcpyDeviceToHost), "y D2H");
    std::vector<float> out(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const std::uint32_t bits = static_cast<std::uint32_t>(raw[i]) << 16;
      std::memcpy(&out[i], &bits, sizeof(float));
    }
    return out;
  }

  // Slot rows this rank's send buffer holds (capacity: E*C; dropless: its kept assignments).
  std::int64_t send_rows(int r) const {
    if (!dropless_) return spec_.experts * C_;
    std::int64_t n = 0;
    for (const auto c : counts_by_rank_[static_cast<std::size_t>(r)]) n += c;
    return n;
  }

 private:
  void mark(int i) {
    for (const auto& r : ranks_) {
      r->use();
      check_cuda(cudaEventRecord(r->marks[static_cast<std::size_t>(i)].get(), r->stream.get()), "cudaEventRecord");
    }
  }

  void init_data() {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, f = spec_.d_ff, E = spec_.experts;
    const std::int64_t El = E / R_;
    const auto bias = routing_bias(spec_.routing, E);
    for (const auto& r : ranks_) {
      r->use();
      const auto s = r->stream.get();
      const std::uint64_t seed = spec_.seed;
      const auto rank_seed = seed * 1000003ull + static_cast<std::uint64_t>(r->rank);
      kernels::init_uniform_bf16(r->at("x"), T * d, 1.0f, rank_seed, static_cast<std::uint64_t>(TensorStream::x), s);
      kernels::init_uniform_f32(r->at<float>("router_w"), d * E, static_cast<float>(router_weight_scale(d)), seed,
                                static_cast<std::uint64_t>(TensorStream::router_w), s);
      check_cuda(cudaMemcpyAsync(r->at("router_bias"), bias.data(), bias.size() * sizeof(float), cudaMemcpyHostToDevice, s),
                 "router bias H2D");
      const float s1 = static_cast<float>(std::sqrt(3.0 / static_cast<double>(d)));
      const float s2 = static_cast<float>(std::sqrt(3.0 / static_cast<double>(f)));
      kernels::init_uniform_bf16(r->at("w1"), El * d * f, s1, rank_seed, static_cast<std::uint64_t>(TensorStream::w1), s);
      if (geglu_)
        kernels::init_uniform_bf16(r->at("w3"), El * d * f, s1, rank_seed, static_cast<std::uint64_t>(TensorStream::w3), s);
      kernels::init_uniform_bf16(r->at("w2"), El * f * d, s2, rank_seed, static_cast<std::uint64_t>(TensorStream::w2), s);
      if (spec_.backward)
        kernels::init_uniform_bf16(r->at("dy"), T * d, 1.0f, rank_seed, static_cast<std::uint64_t>(TensorStream::dy), s);
      // Empty dropless rows and never-written buffers read as zeros, not garbage.
      for (const char* name : {"expert_in", "expert_out", "returned"})
        check_cuda(cudaMemsetAsync(r->at(name), 0, static_cast<std::size_t>(r->bytes(name)), s), "cudaMemset");
    }
    synchronize();
  }

  void router_forward() {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, E = spec_.experts, k = spec_.top_k;
    const std::int64_t A = T * k;
    for (const auto& r : ranks_) {
      r->use();
      const auto s = r->stream.get();
      // logits[T, E] = x[T, d] W[d, E] + bias, fp32 (selective precision, Fedus et al. 2.4).
      kernels::router_gemm(r->at("x"), true, d, 1, r->at<float>("router_w"), E, 1, r->at<float>("logits"), T, E, d,
                           r->at<float>("router_bias"), false, s);
      check_cuda(cudaMemsetAsync(r->at("nonfinite_tokens"), 0, 4, s), "cudaMemset nonfinite_tokens");
      kernels::softmax_topk(r->at<float>("logits"), r->at<float>("probs"), r->at<std::int32_t>("expert_index"),
                            r->at<float>("gate"), r->at<std::int32_t>("nonfinite_tokens"), T, E, static_cast<int>(k), s);
      kernels::expert_positions(r->at<std::int32_t>("expert_index"), r->at<std::int32_t>("chunk_counts"),
                                r->at<std::int32_t>("expert_counts"), r->at<std::int32_t>("position"), A, E, kScanChunk, s);
      check_cuda(cudaMemsetAsync(r->at("slot_assignment"), 0xff, static_cast<std::size_t>(r->bytes("slot_assignment")), s),
                 "cudaMemset slot_assignment");
    }
    if (dropless_) {
      // The grouped GEMMs and the alltoallv need the counts on the host: one synchronization,
      // as every dropless MoE implementation pays.
      counts_by_rank_.assign(static_cast<std::size_t>(R_), std::vector<std::int64_t>(static_cast<std::size_t>(E)));
      for (const auto& r : ranks_) {
        r->use();
        std::vector<std::int32_t> c32(static_cast<std::size_t>(E));
        check_cuda(cudaMemcpyAsync(c32.data(), r->at("expert_counts"), c32.size() * 4, cudaMemcpyDeviceToHost,
                                   r->stream.get()),
                   "expert counts D2H");
        check_cuda(cudaStreamSynchronize(r->stream.get()), "cudaStreamSynchronize");
        auto& counts = counts_by_rank_[static_cast<std::size_t>(r->rank)];
        std::copy(c32.begin(), c32.end(), counts.begin());
        const auto offsets = exclusive_offsets(counts);
        offsets32_.assign(offsets.begin(), offsets.end());
        check_cuda(cudaMemcpyAsync(r->at("expert_offsets"), offsets32_.data(), offsets32_.size() * 4,
                                   cudaMemcpyHostToDevice, r->stream.get()),
                   "expert offsets H2D");
      }
      allgather_counts(world_, counts_by_rank_);  // every rank's plan needs everyone's counts
    }
    for (const auto& r : ranks_) {
      r->use();
      kernels::make_slots(r->at<std::int32_t>("expert_index"), r->at<std::int32_t>("position"),
                          r->at<std::int32_t>("expert_offsets"), r->at<std::int32_t>("token_slot"),
                          r->at<std::int32_t>("slot_assignment"), A, dropless_ ? -1 : C_, r->stream.get());
    }
  }

  void dispatch_forward(DispatchImpl impl) {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, S = spec_.experts * C_;
    for (const auto& r : ranks_) {
      r->use();
      const auto s = r->stream.get();
      if (impl == DispatchImpl::kernels) {
        kernels::dispatch_rows(r->at("x"), r->at<std::int32_t>("slot_assignment"), r->at("dispatched"), send_rows(r->rank),
                               T, d, s);
      } else {
        for (const char* name : {"dispatch_mask", "combine_weights"})
          check_cuda(cudaMemsetAsync(r->at(name), 0, static_cast<std::size_t>(r->bytes(name)), s), "cudaMemset");
        const std::int64_t A = T * spec_.top_k;
        kernels::scatter_dense(r->at<std::int32_t>("token_slot"), nullptr, r->at("dispatch_mask"), A, T, S, s);
        kernels::scatter_dense(r->at<std::int32_t>("token_slot"), r->at<float>("gate"), r->at("combine_weights"), A, T, S, s);
        // dispatched[S, d] = mask^T[S, T] x[T, d]   (einsum "tec,td->ecd")
        dense_gemm(*r, single_gemm("einsum_dispatch", S, d, T, true, false), r->at("dispatch_mask"), r->at("x"),
                   r->at("dispatched"));
      }
    }
  }

  void combine_forward(DispatchImpl impl) {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, S = spec_.experts * C_;
    for (const auto& r : ranks_) {
      r->use();
      if (impl == DispatchImpl::kernels) {
        kernels::combine_rows(r->at("returned"), r->at<std::int32_t>("token_slot"), r->at<float>("gate"), r->at("y"), T,
                              static_cast<int>(spec_.top_k), d, r->stream.get());
      } else {
        // y[T, d] = combine_weights[T, S] returned[S, d]   (einsum "tec,ecd->td")
        dense_gemm(*r, single_gemm("einsum_combine", T, d, S), r->at("combine_weights"), r->at("returned"), r->at("y"));
      }
    }
  }

  void combine_backward(DispatchImpl impl) {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, S = spec_.experts * C_, A = T * spec_.top_k;
    for (const auto& r : ranks_) {
      r->use();
      const auto s = r->stream.get();
      if (impl == DispatchImpl::kernels) {
        kernels::combine_backward(r->at("dy"), r->at("returned"), r->at<std::int32_t>("slot_assignment"),
                                  r->at<std::int32_t>("token_slot"), r->at<float>("gate"), r->at("d_returned"),
                                  r->at<float>("d_gate"), send_rows(r->rank), T, static_cast<int>(spec_.top_k), d, s);
      } else {
        dense_gemm(*r, single_gemm("einsum_combine_dx", S, d, T, true, false), r->at("combine_weights"), r->at("dy"),
                   r->at("d_returned"));
        dense_gemm(*r, single_gemm("einsum_combine_dw", T, S, d, false, true), r->at("dy"), r->at("returned"),
                   r->at("d_combine_weights"));
        kernels::gather_dense(r->at<std::int32_t>("token_slot"), r->at("d_combine_weights"), r->at<float>("d_gate"), A, T,
                              S, s);
      }
    }
  }

  void dispatch_backward(DispatchImpl impl) {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, S = spec_.experts * C_;
    for (const auto& r : ranks_) {
      r->use();
      if (impl == DispatchImpl::kernels) {
        kernels::combine_rows(r->at("d_dispatched"), r->at<std::int32_t>("token_slot"), nullptr, r->at("dx"), T,
                              static_cast<int>(spec_.top_k), d, r->stream.get());
      } else {
        dense_gemm(*r, single_gemm("einsum_dispatch_dx", T, d, S), r->at("dispatch_mask"), r->at("d_dispatched"),
                   r->at("dx"));
      }
    }
  }

  void router_backward() {
    const std::int64_t T = spec_.tokens_per_rank, d = spec_.d_model, E = spec_.experts;
    for (const auto& r : ranks_) {
      r->use();
      const auto s = r->stream.get();
      // With the aux loss on, its gradient alpha E f_e / T joins d(probs), as in the CPU reference.
      kernels::softmax_topk_backward(r->at<float>("probs"), r->at<std::int32_t>("expert_index"), r->at<float>("d_gate"),
                                     spec_.aux_loss ? r->at<std::int32_t>("first_counts") : nullptr,
                                     static_cast<float>(kAuxAlpha), r->at<float>("d_logits"), T, E,
                                     static_cast<int>(spec_.top_k), s);
      // d_router_w[d, E] = x^T d_logits; dx[T, d] += d_logits W^T.
      kernels::router_gemm(r->at("x"), true, 1, d, r->at<float>("d_logits"), E, 1, r->at<float>("d_router_w"), d, E, T,
                           nullptr, false, s);
      kernels::router_gemm_bf16_out(r->at<float>("d_logits"), E, 1, r->at<float>("router_w"), 1, E, r->at("dx"), T, d, E,
                                    true, s);
    }
  }

  // All-to-all of slot rows between ranks; reverse = from the experts back to the tokens' ranks.
  void alltoall(const char* from, const char* to, bool reverse) {
    const std::int64_t d = spec_.d_model;
    if (R_ == 1) {
      // NCCL refuses two ranks on one GPU: one rank's all-to-all is a copy of its own block.
      const auto& r = *ranks_.front();
      r.use();
      const auto rows = send_rows(0);
      check_cuda(cudaMemcpyAsync(r.at(to), r.at(from), static_cast<std::size_t>(rows * d * kBf16),
                                 cudaMemcpyDeviceToDevice, r.stream.get()),
                 "all-to-all device copy");
      return;
    }
    check_nccl(ncclGroupStart(), "ncclGroupStart");
    for (const auto& r : ranks_) {
      const auto plan = dropless_ ? alltoallv_plan(counts_by_rank_, r->rank)
                                  : alltoall_even_plan(R_, spec_.experts / R_, C_);
      const auto& sc = reverse ? plan.recv_counts : plan.send_counts;
      const auto& sd = reverse ? plan.recv_displs : plan.send_displs;
      const auto& rc = reverse ? plan.send_counts : plan.recv_counts;
      const auto& rd = reverse ? plan.send_displs : plan.recv_displs;
      auto* src = r->at<char>(from);
      auto* dst = r->at<char>(to);
      const auto comm = r->comm;
      for (int p = 0; p < R_; ++p) {
        const auto pp = static_cast<std::size_t>(p);
        check_nccl(ncclSend(src + sd[pp] * d * kBf16, static_cast<std::size_t>(sc[pp] * d), ncclBfloat16, p, comm,
                            r->stream.get()),
                   "ncclSend");
        check_nccl(ncclRecv(dst + rd[pp] * d * kBf16, static_cast<std::size_t>(rc[pp] * d), ncclBfloat16, p, comm,
                            r->stream.get()),
                   "ncclRecv");
      }
    }
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  }

  void ffn_forward() {
    const std::int64_t f = spec_.d_ff;
    for (const auto& r : ranks_) {
      r->use();
      const auto gemms = expert_ffn_forward(spec_.experts / R_, C_, spec_.d_model, f, geglu_);
      for (const auto& g : gemms) {
        expert_gemm(*r, g.name);
        if (g.name == (geglu_ ? "fwd_w3" : "fwd_w1"))
          kernels::activation_forward(r->at("act_a"), geglu_ ? r->at("act_b") : nullptr, r->at("hidden"),
                                      expert_rows(r->rank) * f, r->stream.get());
      }
    }
  }

  void ffn_backward() {
    const std::int64_t f = spec_.d_ff;
    for (const auto& r : ranks_) {
      r->use();
      if (dropless_)
        for (const char* name : {"dw1", "dw2", "dw3"})
          if (r->layout.find(name))
            check_cuda(cudaMemsetAsync(r->at(name), 0, static_cast<std::size_t>(r->bytes(name)), r->stream.get()),
                       "cudaMemset dW");
      for (const auto& g : expert_ffn_backward(spec_.experts / R_, C_, spec_.d_model, f, geglu_)) {
        expert_gemm(*r, g.name);
        if (g.name == "bwd_dw2")
          kernels::activation_backward(r->at("act_a"), geglu_ ? r->at("act_b") : nullptr, r->at("d_hidden"),
                                       r->at("d_act_a"), geglu_ ? r->at("d_act_b") : nullptr, expert_rows(r->rank) * f,
                                       r->stream.get());
      }
    }
  }

  std::int64_t expert_rows(int r) const {
    if (!dropless_) return spec_.experts * C_;
    return alltoallv_plan(counts_by_rank_, r).recv_total;
  }

  std::int64_t width_of(const char* tensor) const {
    const std::string t = tensor;
    return (t.find("act") != std::string::npos || t.find("hidden") != std::string::npos) ? spec_.d_ff : spec_.d_model;
  }

  // One expert GEMM by name: strided-batched per source rank (capacity) or grouped (dropless).
  void expert_gemm(const Rank& r, const std::string& name) {
    const std::int64_t d = spec_.d_model, f = spec_.d_ff, El = spec_.experts / R_;
    const Binding b = binding_of(name);
    auto pick = [&](std::int64_t experts, std::int64_t rows) {
      const bool fwd = name.rfind("fwd", 0) == 0;
      const auto list = fwd ? expert_ffn_forward(experts, rows, d, f, geglu_) : expert_ffn_backward(experts, rows, d, f, geglu_);
      for (const auto& g : list)
        if (g.name == name) return g;
      throw std::logic_error("ref/cuda: GEMM " + name + " not in the FFN");
    };
    auto address = [&](const Operand& op, std::int64_t row_offset, std::int64_t expert) {
      auto* base = r.at<char>(op.tensor);
      return op.weight ? base + expert * d * f * kBf16 : base + row_offset * width_of(op.tensor) * kBf16;
    };
    const float one = 1.0f;
    const float zero = 0.0f;
    if (!dropless_) {
      for (int s = 0; s < R_; ++s) {
        const auto g = pick(El, C_);
        const auto c = to_cublas(g);
        const std::int64_t row0 = static_cast<std::int64_t>(s) * El * C_;
        const bool acc = g.accumulate || (b.c.weight && s > 0);
        check_cublas(cublasGemmStridedBatchedEx(
                         r.cublas.get(), c.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N,
                         c.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(c.m), static_cast<int>(c.n),
                         static_cast<int>(c.k), &one, address(b.b, row0, 0), CUDA_R_16BF, static_cast<int>(c.ld_first),
                         c.stride_first, address(b.a, row0, 0), CUDA_R_16BF, static_cast<int>(c.ld_second),
                         c.stride_second, acc ? &one : &zero, address(b.c, row0, 0), CUDA_R_16BF,
                         static_cast<int>(c.ld_c), c.stride_c, static_cast<int>(c.batch), CUBLAS_COMPUTE_32F,
                         CUBLAS_GEMM_DEFAULT),
                     name.c_str());
      }
      return;
    }
    const auto groups = received_groups(counts_by_rank_, r.rank);
    for (int s = 0; s < R_; ++s) {
      std::vector<cublasOperation_t> op_first, op_second;
      std::vector<int> m, n, k, ld_first, ld_second, ld_c, size;
      std::vector<float> alpha, beta;
      std::vector<const void*> first, second;
      std::vector<void*> out;
      for (const auto& grp : groups) {
        if (grp.source_rank != s || grp.rows == 0) continue;
        const auto g = pick(1, grp.rows);
        const auto c = to_cublas(g);
        op_first.push_back(c.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N);
        op_second.push_back(c.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N);
        m.push_back(static_cast<int>(c.m));
        n.push_back(static_cast<int>(c.n));
        k.push_back(static_cast<int>(c.k));
        ld_first.push_back(static_cast<int>(c.ld_first));
        ld_second.push_back(static_cast<int>(c.ld_second));
        ld_c.push_back(static_cast<int>(c.ld_c));
        size.push_back(1);
        alpha.push_back(1.0f);
        beta.push_back(g.accumulate || b.c.weight ? 1.0f : 0.0f);  // dW zeroed before backward
        first.push_back(address(b.b, grp.row_offset, grp.local_expert));
        second.push_back(address(b.a, grp.row_offset, grp.local_expert));
        out.push_back(address(b.c, grp.row_offset, grp.local_expert));
      }
      if (m.empty()) continue;
      const std::size_t G = m.size();
      std::vector<void*> table;
      for (auto p : first) table.push_back(const_cast<void*>(p));
      for (auto p : second) table.push_back(const_cast<void*>(p));
      for (auto p : out) table.push_back(p);
      auto** dev = static_cast<void**>(r.pointers.get());
      check_cuda(cudaMemcpyAsync(dev, table.data(), table.size() * sizeof(void*), cudaMemcpyHostToDevice, r.stream.get()),
                 "grouped GEMM pointers H2D");
      check_cublas(cublasGemmGroupedBatchedEx(r.cublas.get(), op_first.data(), op_second.data(), m.data(), n.data(),
                                              k.data(), alpha.data(), const_cast<const void* const*>(dev), CUDA_R_16BF,
                                              ld_first.data(), const_cast<const void* const*>(dev + G), CUDA_R_16BF,
                                              ld_second.data(), beta.data(), dev + 2 * G, CUDA_R_16BF, ld_c.data(),
                                              static_cast<int>(G), size.data(), CUBLAS_COMPUTE_32F),
                   name.c_str());
      // The host arrays must outlive the enqueue of the pointer copy (pageable: staged at once).
    }
  }

  // A single (non-batched) bf16 GEMM for the einsum baseline.
  void dense_gemm(const Rank& r, const RowMajorGemm& g, const void* a, const void* b, void* c_out) {
    const auto c = to_cublas(g);
    const float one = 1.0f;
    const float zero = 0.0f;
    check_cublas(cublasGemmEx(r.cublas.get(), c.transpose_first ? CUBLAS_OP_T : CUBLAS_OP_N,
                              c.transpose_second ? CUBLAS_OP_T : CUBLAS_OP_N, static_cast<int>(c.m),
                              static_cast<int>(c.n), static_cast<int>(c.k), &one, b, CUDA_R_16BF,
                              static_cast<int>(c.ld_first), a, CUDA_R_16BF, static_cast<int>(c.ld_second), &zero, c_out,
                              CUDA_R_16BF, static_cast<int>(c.ld_c), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                 g.name.c_str());
  }

  LayerSpec spec_;
  World world_;
  LayerShape shape_;
  int R_ = 1;
  bool geglu_ = false;
  bool dropless_ = false;
  std::int64_t C_ = 0;
  std::vector<std::unique_ptr<Rank>> ranks_;
  Comms comms_;
  std::vector<std::vector<std::int64_t>> counts_by_rank_;
  std::vector<std::int32_t> offsets32_;
};

}  // namespace

bool built_with_cuda() { return true; }

bool cuda_available(std::string& why_not) {
  try {
    visible_device_count();
    return true;
  } catch (const NoCudaDevice& e) {
    why_not = e.what();
    return false;
  }
}

CudaLayerResult measure_layer_detailed(const LayerSpec& spec, const RunOptions& options) {
  if (options.repeats < 1 || options.warmup < 0) throw std::invalid_argument("ref/cuda: repeats >= 1, warmup >= 0");
  if (options.device_count != 0 && options.device_count != spec.ranks)
    throw std::invalid_argument(fmt::format("ref/cuda: device_count {} != ranks {} (one GPU per rank in this process)",
                                            options.device_count, spec.ranks));
  const bool want_check = options.check && spec.padding == "capacity";
  const World world = make_world(options.mpi);
  Layer layer(spec, options.dispatch == DispatchImpl::einsum || want_check, world);
  CudaLayerResult result;
  result.alltoall_mode = spec.ranks == 1 ? "device_copy" : (world.mpi ? "nccl_multiprocess" : "nccl_single_process");
  result.workspace_bytes = layer.workspace_bytes();

  if (want_check) {
    layer.step(DispatchImpl::kernels);
    layer.synchronize();
    const auto y_kernels = layer.output_rank0();
    layer.step(DispatchImpl::einsum);
    layer.synchronize();
    const auto y_einsum = layer.output_rank0();
    double err = 0, scale = 0;
    for (std::size_t i = 0; i < y_kernels.size(); ++i) {
      err = std::max(err, static_cast<double>(std::abs(y_kernels[i] - y_einsum[i])));
      scale = std::max(scale, static_cast<double>(std::abs(y_einsum[i])));
    }
    result.check_rel_err = reduce_max(world, scale > 0 ? err / scale : err);
  }

  for (int i = 0; i < std::max(1, options.warmup); ++i) layer.step(options.dispatch);
  layer.synchronize();
  auto& m = result.measurement;
  m.spec = spec;
  m.capacity = spec.padding == "capacity" ? layer.capacity() : 0;
  double aux = 0;
  layer.routing_statistics(result.expert_counts, m.dropped_token_frac, aux, result.nonfinite_tokens);
  m.aux_loss = spec.aux_loss ? aux : 0.0;

  std::vector<std::vector<double>> phases(kLayerPhases.size());
  std::vector<double> fwd, bwd, step;
  for (int rep = 0; rep < options.repeats; ++rep) {
    layer.step(options.dispatch);
    layer.synchronize();
    for (std::size_t p = 0; p < kLayerPhases.size(); ++p) phases[p].push_back(layer.phase_s(static_cast<int>(p)));
    fwd.push_back(layer.span_s(0, 6));
    if (spec.backward) bwd.push_back(layer.span_s(6, 12));
    step.push_back(spec.backward ? layer.span_s(0, 12) : fwd.back());
  }
  for (std::size_t p = 0; p < kLayerPhases.size(); ++p) m.phases[std::string(kLayerPhases[p])] = timing_stats(phases[p]);
  m.forward = timing_stats(fwd);
  m.backward = timing_stats(bwd);
  m.step = timing_stats(step);
  return result;
}

LayerMeasurement measure_layer(const LayerSpec& spec, const RunOptions& options) {
  return measure_layer_detailed(spec, options).measurement;
}

}  // namespace switchsim::ref::cuda
