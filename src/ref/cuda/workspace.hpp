#pragma once
// Device memory of one rank's Switch layer: every tensor's name, shape and size in bytes.
// The CUDA layer allocates exactly this list (one allocation, 256-byte aligned slices).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace switchsim::ref::cuda {

struct LayerShape {
  std::int64_t tokens = 0;    // T, per rank
  std::int64_t d_model = 0;
  std::int64_t d_ff = 0;
  std::int64_t experts = 0;   // E, global
  std::int64_t ranks = 1;     // R; experts per rank = E / R
  std::int64_t top_k = 1;
  std::int64_t capacity = 0;  // C
  bool geglu = false;
  bool dropless = false;
  bool backward = true;
  bool einsum_baseline = false;  // also allocate the dense [T, E*C] dispatch/combine tensors

  std::int64_t experts_per_rank() const { return experts / ranks; }
  std::int64_t assignments() const { return tokens * top_k; }
  // Rows of the send buffer: [E, C] padded, or one row per kept assignment (at most T*k).
  std::int64_t dispatch_rows() const { return dropless ? assignments() : experts * capacity; }
  // Rows the experts of this rank may receive: R*E_local*C = E*C padded; dropless worst case
  // is every rank sending all its assignments here.
  std::int64_t expert_rows() const { return dropless ? ranks * assignments() : experts * capacity; }
};

struct TensorBytes {
  std::string name;
  std::vector<std::int64_t> shape;
  int element_bytes = 0;
  std::int64_t bytes = 0;   // product(shape) * element_bytes
  std::int64_t offset = 0;  // in the workspace, 256-byte aligned
};

struct Workspace {
  std::vector<TensorBytes> tensors;
  std::int64_t total_bytes = 0;
  std::optional<TensorBytes> find(const std::string& name) const;
};

inline constexpr std::int64_t kWorkspaceAlignment = 256;

Workspace layer_workspace(const LayerShape& shape);

}  // namespace switchsim::ref::cuda
