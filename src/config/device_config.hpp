#pragma once
// One accelerator or host as read from hardware/*.json (kind "device").

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/dtype.hpp"
#include "units/units.hpp"

namespace switchsim::config {

// The measured spread of a calibrated figure (p10 and p90 of its repeats, file fields
// `<field>_lo` and `<field>_hi`), so predictions built on it can carry an uncertainty band.
template <class T>
struct Band {
  T lo{};
  T hi{};
};

// Achieved fraction of peak for one GEMM shape C[m,n] = A[m,k] B[k,n] (calibrated devices), or
// with "transposed_b": true, C[m,n] = A[m,k] B^T with B stored [n,k] (a backward dX GEMM,
// dY W^T, reads its weight so; row-major BLAS runs it through other packing, measurably slower
// for few rows).
struct GemmEfficiencyPoint {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t k = 0;
  double efficiency = 0;
  std::optional<Band<double>> band;  // efficiency_lo / efficiency_hi
  bool transposed_b = false;
};

// The axes of a calibrated GEMM grid (file field "gemm_grid": {"m": [...], "n": [...], "k": [...]},
// each strictly ascending): every (m, n, k) of their product is a point of the efficiency table
// (not transposed; a table may hold the grid's transposed_b points too),
// so the kernel model can interpolate between them (compute/kernel_model.hpp).
struct GemmGrid {
  std::vector<std::int64_t> m, n, k;
};

// What a CPU BLAS's GEMM pays for rows beyond a whole number of its kernel's panels (file field
// "gemm_row_tail": {"panel_rows": P, "ns_per_b_element": [t_1, ..., t_{P-1}], optional
// "ns_per_b_element_transposed_b": [...]}; written by `switchsim calibrate --target cpu`, measured
// on probe GEMMs of P + r rows; compute/kernel_model.hpp): a remainder of r rows adds t_r
// nanoseconds per element of B (n k), to the time of the whole panels before it.
struct GemmRowTail {
  std::int64_t panel_rows = 0;
  std::vector<double> ns_per_b_element;               // [r - 1] for r = 1 .. panel_rows - 1
  std::vector<double> ns_per_b_element_transposed_b;  // the same for B^T; empty: as ns_per_b_element
};

// Extra time per byte of its weight operand a GEMM pays when the program around it cycles
// through `working_set` bytes between two uses of the same data, beyond what the calibrated GEMM
// rates already include (file field "gemm_operand_streaming": [{"working_set_bytes", "extra_ns_per_byte"}],
// working sets strictly ascending; written by `switchsim calibrate --target cpu`, measured on probe
// GEMMs whose operands were cycled through that many bytes, per byte of all their operands;
// compute/kernel_model.hpp).
struct OperandStreamingPoint {
  Bytes working_set;
  double extra_ns_per_byte = 0;
};

// The router's softmax and top-k selection on a device where they cost more than their memory
// traffic (a CPU's scalar exp and compare loops), per logit, i.e. per (token, expert) pair
// (file field "router_ns_per_logit": [{"experts", "top_k", "ns_per_logit", optional
// "backward_ns_per_logit"}], ascending by (top_k, experts); written by `switchsim calibrate
// --target cpu`, measured on the CPU reference's own routing code over a fixed grid of expert
// counts; compute/kernel_model.hpp). The backward is the logits' gradient up to the router's
// GEMMs (0 when absent: priced by its bytes alone).
struct RoutingCostPoint {
  std::int64_t experts = 0;
  std::int64_t top_k = 1;
  double ns_per_logit = 0;
  double backward_ns_per_logit = 0;
};

struct DeviceConfig {
  std::string name;
  std::string kind;  // gpu, tpu_core, cpu
  std::int64_t compute_units = 1;  // SMs on a GPU, cores on a CPU; sets GEMM wave quantization
  FlopsPerSecond peak_bf16;
  FlopsPerSecond peak_fp32;
  FlopsPerSecond peak_tf32;  // equals fp32 where the device has no tf32 mode
  Bytes memory;
  BytesPerSecond memory_bandwidth;
  double gemm_efficiency = 0.75;    // best fraction of peak that large GEMMs reach
  double memory_efficiency = 0.85;  // fraction of memory bandwidth that streaming kernels reach
  std::int64_t gemm_tile = 128;     // output tile edge for wave quantization
  Picoseconds kernel_overhead{0};   // per-kernel launch and tail cost
  // Chips made of several cores (TPU v3: 2 TensorCores a chip) state it explicitly.
  std::int64_t cores_per_chip = 1;
  // Devices that run fp32 matmuls as bf16 passes (TPU) state how many; then
  // peak_fp32 = peak_bf16 / passes (model/precision.hpp). Absent: fp32 has its own peak.
  std::optional<std::int64_t> fp32_matmul_passes;
  // How the software this profile imitates dispatches tokens to experts: einsum (GShard /
  // Mesh TensorFlow), scatter (index kernels) or grouped (MegaBlocks) (model/dispatch_cost.hpp).
  // Default when absent: einsum for tpu_core, scatter otherwise.
  std::string dispatch = "scatter";
  std::map<std::string, std::string> sources;  // field -> where the number comes from

  // Optional, written by `switchsim calibrate`: per-shape GEMM efficiency and spreads.
  std::vector<GemmEfficiencyPoint> gemm_efficiency_table;
  std::optional<GemmGrid> gemm_grid;  // the table's points that form a full grid, if any
  std::vector<OperandStreamingPoint> gemm_operand_streaming;  // empty: no working-set effect
  std::optional<GemmRowTail> gemm_row_tail;  // absent: rows priced by the grid's smooth curve alone
  std::vector<RoutingCostPoint> router_ns_per_logit;  // empty: routing priced by its memory traffic
  std::optional<Band<double>> gemm_efficiency_band;
  std::optional<Band<double>> memory_efficiency_band;
  std::optional<Band<BytesPerSecond>> memory_bandwidth_band;
  std::optional<Band<Picoseconds>> kernel_overhead_band;

  FlopsPerSecond peak(DType t) const {
    switch (t) {
      case DType::bf16: return peak_bf16;
      case DType::tf32: return peak_tf32;
      case DType::fp32: return peak_fp32;
    }
    return peak_fp32;
  }
};

// `object` is the device object; `pointer` its location in the file (empty at top level).
DeviceConfig parse_device(const nlohmann::json& object, const std::string& file, const std::string& pointer = "");
nlohmann::json to_json(const DeviceConfig& device);

}  // namespace switchsim::config
