#pragma once
// The messages between `switchsim` and its `switchsim-cuda` helper (helper_main.cpp,
// helper_client.cpp): the CUDA reference runs in a separate executable so that the main
// binary never loads cuBLAS, cuBLASLt, the CUDA runtime or NCCL (about 0.45 s and 210 MB before
// main for every subcommand). One request per helper run: `switchsim-cuda VERB` reads a JSON
// request on stdin and writes one JSON reply on stdout (its own progress goes to stderr):
//   {"ok": true, "result": ...}  or  {"ok": false, "error": "no_device"|"invalid_argument"|"error", "message": ...}
// Verbs: available, context, measure ({"spec", "options"}), bench ({"quick"}), checks.
// Plain C++ (no CUDA): both sides build it, and the tests check that messages round-trip.

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "ref/cuda/api.hpp"

namespace switchsim::ref::cuda::wire {

nlohmann::json to_json(const RunOptions& o);
RunOptions run_options_from_json(const nlohmann::json& j);
LayerSpec spec_from_json(const nlohmann::json& j);  // the inverse of ref::to_json(LayerSpec)

nlohmann::json to_json(const CudaLayerResult& r);
CudaLayerResult layer_result_from_json(const nlohmann::json& j);

nlohmann::json to_json(const KernelBench& b);
KernelBench kernel_bench_from_json(const nlohmann::json& j);

// Replies. ok(result) / error(kind, message); rethrow_if_error throws NoCudaDevice,
// std::invalid_argument or std::runtime_error for an error reply and returns the result otherwise.
nlohmann::json ok(nlohmann::json result);
nlohmann::json error(const std::string& kind, const std::string& message);
nlohmann::json rethrow_if_error(const nlohmann::json& reply);

}  // namespace switchsim::ref::cuda::wire
