#include "sweep/runner.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "config/error.hpp"
#include "model/simulate.hpp"

namespace switchsim::sweep {
namespace {

// Per-thread state: collective models per cluster and dense-baseline step times.
class Worker {
 public:
  Worker(const config::Catalog& catalog, const CommFactory& make_comm) : catalog_(catalog), make_comm_(make_comm) {}

  PointOutcome run(const Grid& grid, std::int64_t index) {
    PointOutcome out;
    out.index = index;
    out.scenario = grid.point(index);
    try {
      out.inputs = model::make_inputs(out.scenario, catalog_);
      out.result = model::simulate_step(*out.inputs, comm_for(out.inputs->cluster));
      out.dense_baseline_step_time_s = dense_baseline(*out.inputs, out.scenario);
    } catch (const std::invalid_argument& e) {
      out.invalid_reason = e.what();
      out.result.reset();
    } catch (const OverflowError& e) {
      out.invalid_reason = std::string("sizes beyond 64 bits: ") + e.what();
      out.result.reset();
    }
    out.devices = out.inputs ? out.inputs->cluster.devices : catalog_.cluster(out.scenario.cluster).devices;
    return out;
  }

 private:
  model::CommModel& comm_for(const config::ClusterConfig& cluster) {
    auto& slot = comms_[cluster.name];
    if (!slot) slot = make_comm_(cluster);
    return *slot;
  }

  // The dense model of equal FLOPs per token (the model's dense_baseline), same cluster,
  // batch and model-parallel degree.
  std::optional<double> dense_baseline(const model::StepInputs& in, const model::Scenario& s) {
    if (!in.model.dense_baseline) return std::nullopt;
    model::Scenario dense = s;
    dense.model = *in.model.dense_baseline;
    dense.experts.reset();
    dense.top_k.reset();
    dense.capacity_factor.reset();
    dense.routing = "uniform";
    dense.padding = "capacity";
    dense.layout = "tp=" + std::to_string(in.layout.tp);
    const std::string key = dense.model + "|" + dense.cluster + "|" + std::to_string(dense.batch_tokens) + "|" +
                            dense.layout + "|" + std::to_string(dense.seq_len.value_or(0));
    if (auto it = baselines_.find(key); it != baselines_.end()) return it->second;
    const auto inputs = model::make_inputs(dense, catalog_);
    const double t = model::simulate_step(inputs, comm_for(inputs.cluster)).step_time.seconds();
    baselines_.emplace(key, t);
    return t;
  }

  const config::Catalog& catalog_;
  const CommFactory& make_comm_;
  std::map<std::string, std::unique_ptr<model::CommModel>> comms_;
  std::map<std::string, double> baselines_;
};

}  // namespace

std::vector<PointOutcome> run_points(const Grid& grid, const std::vector<std::int64_t>& indices,
                                     const config::Catalog& catalog, const CommFactory& make_comm, int threads,
                                     const ProgressFn& progress, const PointFn& on_point) {
  std::vector<PointOutcome> outcomes(indices.size());
  std::atomic<std::size_t> next{0};
  std::mutex progress_mutex;
  std::int64_t done = 0;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    Worker worker(catalog, make_comm);
    for (std::size_t i = next++; i < indices.size(); i = next++) {
      try {
        outcomes[i] = worker.run(grid, indices[i]);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
        next = indices.size();  // stop handing out work
        return;
      }
      if (progress || on_point) {
        std::lock_guard lock(progress_mutex);
        try {
          if (on_point) on_point(outcomes[i]);
        } catch (...) {
          std::lock_guard failure_lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = indices.size();
          return;
        }
        if (progress) progress(++done, static_cast<std::int64_t>(indices.size()));
      }
    }
  };
  const int count = std::max(1, threads);
  if (count == 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    try {
      for (int t = 0; t < count; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
      // The system gave fewer threads than asked (ulimit -u, memory): those running finish the
      // work; with none at all, this thread does it.
      if (pool.empty()) work();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return outcomes;
}

}  // namespace switchsim::sweep
