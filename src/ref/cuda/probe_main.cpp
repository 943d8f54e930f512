// switchsim_cuda_probe: runs a grid of Switch layer specs on this machine's GPUs through the
// ref/cuda API and writes one JSON file {"context": ..., "rows": [...]} (rows as to_row, plus
// alltoall_mode, workspace_bytes, check_rel_err). Used by scripts/gpu-validate.sh; the
// integrated `switchsim measure --target cuda` calls the same API.
// Exit codes: 0 ok, 2 bad arguments, 3 no CUDA device, 1 anything else.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ref/cuda/api.hpp"

#ifdef SWITCHSIM_HAVE_MPI
#include <mpi.h>
#endif

int main(int argc, char** argv) {
  using namespace switchsim::ref;
  CLI::App app{
      "Measure CUDA Switch layers over experts x capacity factors and write JSON.\n"
      "Example: switchsim_cuda_probe --experts 8,16 --capacity-factors 1.0,2.0 --out traces/measured/h100-x.json",
      "switchsim_cuda_probe"};
  std::vector<std::int64_t> experts{8, 16, 32, 64, 128};
  std::vector<double> cfs{1.0, 1.25, 2.0};
  LayerSpec base;
  base.target = "cuda";
  base.dtype = "bf16";
  base.tokens_per_rank = 8192;
  base.d_model = 768;
  base.d_ff = 2048;
  base.ffn = "geglu";
  cuda::RunOptions options;
  bool einsum = false;
  std::string out_path;
  app.add_option("--experts", experts, "Expert counts (comma list; default 8,16,32,64,128)")->delimiter(',');
  app.add_option("--capacity-factors", cfs, "Capacity factors (comma list; default 1.0,1.25,2.0)")->delimiter(',');
  app.add_option("--tokens", base.tokens_per_rank, "Tokens per rank (count; default 8192)");
  app.add_option("--d-model", base.d_model, "Model width (elements; default 768)");
  app.add_option("--d-ff", base.d_ff, "Expert hidden width (elements; default 2048)");
  app.add_option("--ffn", base.ffn, "relu or geglu (default geglu)");
  app.add_option("--top-k", base.top_k, "Experts per token (count; default 1)");
  app.add_option("--ranks", base.ranks, "GPUs in this process, one rank each (count; default 1)");
  app.add_option("--padding", base.padding, "capacity or dropless (default capacity)");
  app.add_option("--routing", base.routing, "uniform, zipf:S or hot:FRAC (default uniform)");
  app.add_option("--seed", base.seed, "Seed of the inputs and weights (default 1)");
  app.add_option("--min-capacity", base.min_capacity, "Minimum expert capacity (tokens; default 4)");
  app.add_option("--warmup", options.warmup, "Untimed steps first (count; default 3)");
  app.add_option("--repeats", options.repeats, "Timed steps (count; default 20)");
  app.add_flag("--check", options.check, "Also compare outputs with the one-hot einsum path (default off)");
  app.add_flag("--einsum", einsum, "Time the one-hot einsum baseline instead of our kernels (default off)");
  app.add_option("--out", out_path, "Output JSON path (required)")->required();
  app.add_flag("--mpi", options.mpi,
               "One process per GPU under mpirun; --ranks must equal the process count (default off)");
  CLI11_PARSE(app, argc, argv);
  if (einsum) options.dispatch = cuda::DispatchImpl::einsum;
  int world_rank = 0;
  if (options.mpi) {
#ifdef SWITCHSIM_HAVE_MPI
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
#else
    fmt::print(stderr, "error: --mpi, but switchsim_cuda_probe was built without MPI\n");
    return 2;
#endif
  }
  const int code = [&]() -> int {
  try {
    nlohmann::json doc;
    doc["context"] = cuda::device_context();
    doc["rows"] = nlohmann::json::array();
    for (const auto e : experts)
      for (const auto cf : cfs) {
        LayerSpec spec = base;
        spec.experts = e;
        spec.capacity_factor = cf;
        const auto r = cuda::measure_layer_detailed(spec, options);
        auto row = to_row(r.measurement);
        row["alltoall_mode"] = r.alltoall_mode;
        row["workspace_bytes"] = r.workspace_bytes;
        row["dispatch_impl"] = einsum ? "einsum" : "kernels";
        if (r.check_rel_err) row["check_rel_err"] = *r.check_rel_err;
        doc["rows"].push_back(row);
        if (world_rank == 0)
          fmt::print("experts={} cf={} step_time_s={:.4e} dropped_token_frac={:.4f}\n", e, cf,
                     r.measurement.step.median_s, r.measurement.dropped_token_frac);
      }
    if (world_rank != 0) return 0;  // timings are already reduced over ranks
    const std::filesystem::path path(out_path);
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    const auto tmp = path.string() + ".tmp";
    {
      std::ofstream f(tmp);
      f << doc.dump(2) << "\n";
      if (!f) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path);
    return 0;
  } catch (const cuda::NoCudaDevice& e) {
    fmt::print(stderr, "no CUDA device: {}\n", e.what());
    return 3;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
  }();
#ifdef SWITCHSIM_HAVE_MPI
  if (options.mpi) {
    // Bad arguments and a missing device fail alike on every rank; anything else may leave
    // other ranks waiting in a collective.
    if (code == 1) MPI_Abort(MPI_COMM_WORLD, code);
    MPI_Finalize();
  }
#endif
  return code;
}
