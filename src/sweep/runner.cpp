#include "sweep/runner.hpp"

#include <atomic>
#include <mutex>
#include <system_error>
#include <thread>

#include "config/error.hpp"
#include "model/sampled_counts.hpp"
#include "model/simulate.hpp"
#include "sweep/dense_baseline.hpp"

namespace switchsim::sweep {

model::CommModel& CommModels::for_cluster(const config::ClusterConfig& cluster) {
  auto& slot = comms_[cluster.name];
  if (!slot) slot = make_comm_(cluster);
  return *slot;
}

namespace {

// Per-thread state: collective models per cluster and dense-baseline step times (a point
// whose dense baseline is invalid is invalid too).
class Worker {
 public:
  Worker(const config::Catalog& catalog, const CommFactory& make_comm)
      : catalog_(catalog), comms_(make_comm), baselines_(catalog) {}

  PointOutcome run(const Grid& grid, std::int64_t index) {
    PointOutcome out;
    out.index = index;
    out.scenario = grid.point(index);
    try {
      out.inputs = model::make_inputs(out.scenario, catalog_);
      auto& comm = comms_.for_cluster(out.inputs->cluster);
      out.result = model::simulate_step(*out.inputs, comm, false, &sampled_counts_);
      out.dense_baseline_step_time_s = baselines_.step_time_s(*out.inputs, out.scenario, comm);
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
  const config::Catalog& catalog_;
  CommModels comms_;
  DenseBaselines baselines_;
  // Points differing only in capacity factor, remat, dispatch or optimizer draw the same loads.
  model::SampledCountsCache sampled_counts_;
};

}  // namespace

void parallel_for(std::size_t count, int threads, const std::function<ItemFn()>& make_worker, const ItemFn& after_each) {
  std::atomic<std::size_t> next{0};
  std::mutex after_mutex;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto fail = [&] {
    std::lock_guard lock(failure_mutex);
    if (!failure) failure = std::current_exception();
    next = count;  // stop handing out work
  };
  auto work = [&] {
    try {
      const ItemFn item = make_worker();
      for (std::size_t i = next++; i < count; i = next++) {
        item(i);
        if (after_each) {
          std::lock_guard lock(after_mutex);
          after_each(i);
        }
      }
    } catch (...) {
      fail();
    }
  };
  const int wanted = std::max(1, threads);
  if (wanted == 1) {
    work();
  } else {
    std::vector<std::jthread> pool;
    try {
      for (int t = 0; t < wanted; ++t) pool.emplace_back(work);
    } catch (const std::system_error&) {
      // The system gave fewer threads than asked (ulimit -u, memory): those running finish the
      // work; with none at all, this thread does it.
      if (pool.empty()) work();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

std::vector<PointOutcome> run_points(const Grid& grid, const std::vector<std::int64_t>& indices,
                                     const config::Catalog& files, const CommFactory& make_comm, int threads,
                                     const ProgressFn& progress, const PointFn& on_point) {
  const config::Catalog catalog = files.remembering();  // one read of each model and cluster, not one per point
  std::vector<PointOutcome> outcomes(indices.size());
  std::int64_t done = 0;
  auto make_worker = [&]() -> ItemFn {
    auto worker = std::make_shared<Worker>(catalog, make_comm);
    return [&, worker](std::size_t i) { outcomes[i] = worker->run(grid, indices[i]); };
  };
  ItemFn after_each;
  if (progress || on_point)
    after_each = [&](std::size_t i) {
      if (on_point) on_point(outcomes[i]);
      if (progress) progress(++done, static_cast<std::int64_t>(indices.size()));
    };
  parallel_for(indices.size(), threads, make_worker, after_each);
  return outcomes;
}

}  // namespace switchsim::sweep
