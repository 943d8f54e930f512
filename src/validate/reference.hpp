#pragma once
// A reference implementation the simulator is judged against, behind one interface: it runs an
// experiment's layers (or reads runs recorded earlier) and says which profile predicts them.
// CpuReference (OpenBLAS + MPI, cpu_reference.hpp), CudaReference (GPUs, cuda_reference.hpp)
// and RecordedReference (the rows of an earlier measure/validate file, recorded_reference.hpp).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/cluster_config.hpp"
#include "ref/measurement.hpp"

namespace switchsim::validate {

// What to validate: the layers, how often each runs, and the all-to-all model that predicts.
struct Experiment {
  std::vector<ref::LayerSpec> specs;
  std::int64_t warmup = 2;
  std::int64_t repeats = 8;
  std::string comm = "closed-form";  // closed-form or flow (prediction.hpp: comm_model)
  std::string grid;                  // the grid file's name, when the layers came from one
  std::string label;                 // the user's note on the run (e.g. "trial on a busy machine")
};

struct ReferenceRun {
  bool root = true;                    // false on MPI ranks other than 0 (nothing to predict)
  nlohmann::json context;              // host, tool, date, load, schedule, ...
  std::vector<ref::LayerSpec> specs;   // one per row
  std::vector<nlohmann::json> rows;    // the measured columns (ref::to_row and extras)
  config::ClusterConfig cluster;       // the profile that predicts the rows
  std::string profile_line;            // which profile, and how it came about
  // An oracle's run also predicts from its own calibration's fixed grid alone (validate/profile.hpp:
  // fixed_grid_only), beside the exact shapes' predictions.
  std::optional<config::ClusterConfig> grid_profile;
  std::string grid_profile_note;
};

class Reference {
 public:
  virtual ~Reference() = default;
  // Runs (or reads) the experiment's layers. A RecordedReference's rows are its file's, whatever
  // experiment.specs says.
  virtual ReferenceRun run(const Experiment& experiment) = 0;
};

}  // namespace switchsim::validate
