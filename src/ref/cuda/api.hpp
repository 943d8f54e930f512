#pragma once
// The CUDA/NCCL reference Switch layer, as `switchsim measure --target cuda`, `switchsim bench
// kernels` and switchsim_cuda_probe call it. Built for real when CMake finds nvcc
// (SWITCHSIM_HAVE_CUDA); otherwise stub.cpp provides the same functions, which report
// "built without CUDA". Without a usable GPU every entry point throws NoCudaDevice.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/measurement.hpp"

namespace switchsim::ref::cuda {

// No usable CUDA device (none present, driver missing or too old, or built without CUDA).
class NoCudaDevice : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How dispatch and combine are computed.
enum class DispatchImpl {
  kernels,  // our gather kernels over slot tables (the reference)
  einsum,   // dense one-hot einsum through cuBLAS, as Mesh TensorFlow writes it (baseline)
};

struct RunOptions {
  int warmup = 3;
  int repeats = 20;
  int device_count = 0;  // GPUs in this process (single-process NCCL, ncclCommInitAll); 0 = spec.ranks
  DispatchImpl dispatch = DispatchImpl::kernels;
  bool check = false;  // also run the einsum path on the same inputs and compare outputs
  // One process per GPU under MPI (the caller has called MPI_Init; spec.ranks == world size):
  // ncclCommInitRank with the unique id broadcast by MPI, timings reduced (max) over ranks.
  bool mpi = false;
};

// True when the library was compiled with nvcc/cuBLAS/NCCL.
bool built_with_cuda();

// False (with the reason) when built without CUDA or when no device can be used.
bool cuda_available(std::string& why_not);

// What a measurement adds beyond the shared schema.
struct CudaLayerResult {
  LayerMeasurement measurement;
  // "nccl_single_process" or "nccl_multiprocess" (ranks > 1, one GPU each), or "device_copy"
  // (one rank: NCCL refuses two ranks on one GPU, so a single rank's all-to-all is a
  // device-to-device copy of its own block).
  std::string alltoall_mode;
  std::vector<std::int64_t> expert_counts;  // rank 0's assignments per expert, before capacity
  std::int64_t workspace_bytes = 0;         // device memory per rank
  // Tokens (all ranks, last warm-up step) whose router softmax was not finite (NaN or inf
  // logits): routed to expert 0 with gate 0 (kernel_emulation.hpp). Not 0 fails `--check`.
  std::int64_t nonfinite_tokens = 0;
  // With RunOptions::check: max |y_kernels - y_einsum| / max |y_einsum| (rank 0); else absent.
  std::optional<double> check_rel_err;
};

// Runs forward (+ backward) of one Switch layer spec.ranks times in one process (spec.ranks
// GPUs), warm-up then timed repeats with CUDA events per phase. Throws NoCudaDevice without a
// device, std::invalid_argument on a spec this reference cannot run (e.g. more ranks than GPUs).
CudaLayerResult measure_layer_detailed(const LayerSpec& spec, const RunOptions& options);
LayerMeasurement measure_layer(const LayerSpec& spec, const RunOptions& options);

// Context block: GPU name(s), SM count, memory, driver and runtime versions, cuBLAS and NCCL
// versions, date. Without a device: {"cuda_available": false, "reason": ...}.
nlohmann::json device_context();

// The kernel checks behind `switchsim measure --target cuda --check`: grid-stride loops past a
// capped grid (make_slots, scatter/gather_dense), NaN/inf logits, the router GEMM past 1,048,560
// tokens, the position scan with 16,384 experts (shared-memory opt-in), the aux-loss backward;
// each against the CPU emulation. {"passed": bool, "checks": [{name, passed, detail}]}.
// Throws NoCudaDevice without a device.
nlohmann::json run_kernel_checks();

// Numbers behind `switchsim bench kernels`.
struct KernelBenchRow {
  std::string name;      // e.g. "expert_gemm fwd_w1 E=8 C=1024 d=1024 f=4096"
  double time_s = 0;     // median of the timed repeats
  double rate = 0;       // in `unit`
  std::string unit;      // "TFLOPps", "GBps", "busGBps", or "x" (speed-up over the baseline)
  double reference = 0;  // the measured ceiling it is compared with (same unit), 0 if none
  double goal = 0;       // the goal for rate / reference (0: none)
  std::string note;      // why a row was skipped, or what the rate includes
};
struct KernelBench {
  double peak_bf16_tflops = 0;   // large square bf16 GEMM
  double memcpy_gbps = 0;        // device-to-device cudaMemcpy, read + write bytes
  std::vector<KernelBenchRow> rows;
};
// Throws NoCudaDevice without a device.
KernelBench run_kernel_bench(bool quick);

}  // namespace switchsim::ref::cuda
