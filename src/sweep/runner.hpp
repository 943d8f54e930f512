#pragma once
// Runs sweep points on worker threads. Every point is pure (its result depends only on the
// point), so results are identical whatever the thread count; they come back in index order.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/catalog.hpp"
#include "model/comm_model.hpp"
#include "model/scenario.hpp"
#include "model/step_result.hpp"
#include "sweep/grid.hpp"

namespace switchsim::sweep {

struct PointOutcome {
  std::int64_t index = 0;
  model::Scenario scenario;
  std::optional<model::StepInputs> inputs;
  std::optional<model::StepResult> result;
  std::string invalid_reason;  // why the point could not be simulated (experts not dividing devices...)
  std::int64_t devices = 0;    // the cluster's, also known for invalid points
  std::optional<double> dense_baseline_step_time_s;
};

// Makes the collective-timing model for a cluster; called once per worker thread and cluster.
using CommFactory = std::function<std::unique_ptr<model::CommModel>(const config::ClusterConfig&)>;
// Collective models per cluster, each made on first use; one per worker thread (a CommModel
// need not be thread-safe).
class CommModels {
 public:
  explicit CommModels(const CommFactory& make_comm) : make_comm_(make_comm) {}
  model::CommModel& for_cluster(const config::ClusterConfig& cluster);

 private:
  const CommFactory& make_comm_;
  std::map<std::string, std::unique_ptr<model::CommModel>> comms_;
};

// Called after each finished point with (points done, points total), from any worker thread
// but never concurrently.
using ProgressFn = std::function<void(std::int64_t, std::int64_t)>;
// Called with each finished point as it finishes (before `progress`), under the same lock:
// the sweep journals it there.
using PointFn = std::function<void(const PointOutcome&)>;

// Runs items 0..count-1 on `threads` worker threads (fewer when the system gives fewer; this
// thread alone when it gives none). Each thread calls `make_worker` once for its own state
// and the function it runs on each item it takes; `after_each(i)`, when given, runs after item
// i under a lock (never concurrently: progress, journals). The first exception from either
// stops the handing out of items and is rethrown once every thread has stopped.
using ItemFn = std::function<void(std::size_t)>;
void parallel_for(std::size_t count, int threads, const std::function<ItemFn()>& make_worker, const ItemFn& after_each);

// Simulates grid points `indices` with `threads` workers. Bad files are config::ConfigError
// (the whole sweep stops); a point whose values do not fit together becomes an invalid outcome.
std::vector<PointOutcome> run_points(const Grid& grid, const std::vector<std::int64_t>& indices,
                                     const config::Catalog& catalog, const CommFactory& make_comm, int threads,
                                     const ProgressFn& progress, const PointFn& on_point = {});

}  // namespace switchsim::sweep
