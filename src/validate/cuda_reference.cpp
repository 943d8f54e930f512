#include "validate/cuda_reference.hpp"

#include <fmt/format.h>

#include "config/catalog.hpp"
#include "validate/cuda_rows.hpp"
#include "validate/errors.hpp"

namespace switchsim::validate {

CudaReference::CudaReference(std::filesystem::path device, std::string cluster, ToolInfo tool)
    : device_(std::move(device)), cluster_(std::move(cluster)), tool_(std::move(tool)) {}

ReferenceRun CudaReference::run(const Experiment& experiment) {
  require_cuda_device();
  if (!std::filesystem::exists(device_))
    throw RequestError("--target cuda needs a calibrated --profile (switchsim calibrate --target cuda --out " +
                       device_.string() + ")");
  const auto catalog = config::Catalog::from_environment();
  const std::int64_t ranks = experiment.specs.empty() ? 1 : experiment.specs.front().ranks;
  // The calibrated device's own cluster (calibrate --target cuda writes NAME-cluster-GPUS.json
  // next to the profile), unless a cluster file is named; the profile's device either way.
  const auto calibrated = catalog.device(device_.string());
  const auto own_cluster = device_.parent_path() / fmt::format("{}-cluster-{}.json", calibrated.name, ranks);
  if (cluster_.empty() && !std::filesystem::exists(own_cluster))
    throw RequestError(fmt::format("--target cuda: no cluster file {} for the profile {} (switchsim calibrate --target "
                                   "cuda writes it; or pass --cluster)",
                                   own_cluster.string(), device_.string()));
  ReferenceRun run;
  run.cluster = catalog.cluster(cluster_.empty() ? own_cluster.string() : cluster_);
  run.cluster.device = calibrated;
  run.context = cuda_context(tool_);
  for (const auto& s : experiment.specs) {
    run.specs.push_back(cuda_spec(s));
    run.rows.push_back(measure_cuda_row(run.specs.back(), experiment.warmup, experiment.repeats));
  }
  run.profile_line = fmt::format("profile {} on cluster {}", device_.string(), run.cluster.name);
  return run;
}

}  // namespace switchsim::validate
