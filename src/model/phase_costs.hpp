#pragma once
// Per-device kernel costs of each phase of a T5 / Switch layer, forward and backward.
// Backward of a GEMM Y[m,n] = X[m,k] W[k,n] is two GEMMs of the same FLOPs: dX = dY W^T
// ([m,n]x[n,k]) and dW = X^T dY ([k,m]x[m,n]). Backward of a memory-bound kernel moves the
// same bytes again (read the saved input and the incoming gradient, write one gradient).

#include <cstdint>
#include <optional>
#include <vector>

#include "compute/kernel_model.hpp"
#include "config/model_config.hpp"

namespace switchsim::model {

struct PhaseCost {
  Picoseconds forward{0};
  Picoseconds backward{0};
  Flops forward_flops{0};  // useful FLOPs (what MFU counts)

  PhaseCost& operator+=(const PhaseCost& other);
};

class PhaseCosts {
 public:
  // tp splits heads and d_ff (Megatron-style); router and layer norms are replicated.
  PhaseCosts(const compute::KernelModel& kernels, const config::ModelConfig& model, std::int64_t tp);

  // Self-attention when tokens_kv == 0 (keys from the same tokens), else cross-attention with
  // keys/values projected from tokens_kv encoder tokens. Includes its layer norm and residual.
  PhaseCost attention(std::int64_t sequences, std::int64_t query_len, std::int64_t key_len,
                      bool cross) const;
  // The part of attention() quadratic in the length: scores GEMM, softmax, probs x V (what
  // selective recomputation redoes, remat.hpp).
  PhaseCost attention_core(std::int64_t sequences, std::int64_t query_len, std::int64_t key_len) const;
  PhaseCost dense_ffn(std::int64_t tokens) const;
  // Router GEMM [T,d]x[d,E] in the router dtype, softmax, top-k, position-in-expert (cumsum).
  PhaseCost router(std::int64_t tokens) const;
  // Scatter T*k token copies into `slots` rows of the [E, C, d] buffer (zero padding included).
  PhaseCost dispatch(std::int64_t tokens, std::int64_t slots) const;
  // Expert FFNs on this device: one GEMM chain per local expert, `rows` rows each
  // (capacity-padded: all equal; dropless: the actual counts), batched/grouped. With
  // `block_rows` (MegaBlocks' grouped GEMM), every expert's rows are padded to whole blocks,
  // even when all counts are equal; without it, uneven counts pad to the device's GEMM tile.
  PhaseCost expert_ffn(const std::vector<std::int64_t>& rows_per_expert,
                       std::optional<std::int64_t> block_rows = std::nullopt) const;
  // Expert FFNs as a loop of plain GEMM calls, as ref/cpu runs them (expert_ffn.cpp): per local
  // expert, one sgemm per input matrix (two for GEGLU) and one output sgemm over exactly its
  // rows; BLAS pads no rows (a small m is slow through its measured efficiency, not padding).
  // An expert that got no rows runs no GEMM; its backward zero-fills its weight gradients.
  // Every GEMM also pays for its operands' trips beyond the cache when the experts' working set
  // (weights, weight gradients, rows' activations and their gradients) outgrows it, on devices
  // with a measured curve (KernelModel::weight_streaming_time).
  PhaseCost expert_ffn_loop(const std::vector<std::int64_t>& rows_per_expert) const;
  // On the token owner, after the combine all-to-all returned its `returned_rows` rows (its
  // own send buffer: E*C capacity-padded, k*T dropless). Forward: gather the `kept_rows`
  // assignments that were not dropped (dropped tokens keep the residual alone), scale by the
  // gate, add to the residual. Backward: write d(expert output) into every returned row
  // (padding zeroed), produce the gate gradients (a dot product per kept assignment) and the
  // residual's gradient. As both references do (ref/cpu switch_layer, ref/cuda combine kernels).
  PhaseCost combine(std::int64_t tokens, std::int64_t kept_rows, std::int64_t returned_rows) const;
  // Input embedding lookups of encoder and decoder tokens.
  PhaseCost embedding(std::int64_t tokens) const;
  // LM head GEMM and softmax cross-entropy over the decoder tokens.
  PhaseCost lm_head_and_loss(std::int64_t decoder_tokens) const;
  // One optimizer update over `params` local parameters.
  Picoseconds optimizer(std::int64_t params, bool adam) const;

  std::int64_t activation_bytes_per_element() const { return dtype_bytes(model_.compute_dtype); }

  // Y[m,n] = X[m,k] W[k,n] in `batch` copies: forward one GEMM, backward two (see above).
  PhaseCost gemm(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t batch, DType dtype) const;
  // A memory-bound kernel streaming `bytes`, forward and again backward.
  PhaseCost memory(Bytes bytes) const;
  const compute::KernelModel& kernels() const { return kernels_; }

 private:
  // An expert FFN's shape on this device: d_ff split by tp, `up` input matrices (2 for GEGLU).
  struct ExpertDims {
    DType dtype;
    std::int64_t bytes;  // per element
    std::int64_t d_model;
    std::int64_t d_ff;
    std::int64_t up;
  };
  ExpertDims expert_dims() const;

  const compute::KernelModel& kernels_;
  const config::ModelConfig& model_;
  std::int64_t tp_;
};

}  // namespace switchsim::model
