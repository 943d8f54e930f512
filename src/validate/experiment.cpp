#include "validate/experiment.hpp"

#include "validate/prediction.hpp"

namespace switchsim::validate {

ValidationResult predict_run(ReferenceRun run, const std::string& comm) {
  ValidationResult r;
  r.root = run.root;
  if (!run.root) return r;
  r.rows = std::move(run.rows);
  for (std::size_t i = 0; i < r.rows.size(); ++i) add_prediction(r.rows[i], run.specs[i], run.cluster, comm);
  // An oracle's error is composition alone; beside it, the fixed grid's (interpolation too).
  if (run.grid_profile) {
    for (std::size_t i = 0; i < r.rows.size(); ++i) add_profile_columns(r.rows[i], run.specs[i], *run.grid_profile, comm);
    run.context["profile_columns"] = run.grid_profile_note;
  }
  r.summary = summarize(r.rows);
  if (run.context.contains("machine")) r.summary["machine_warnings"] = run.context["machine"]["warnings"];
  run.context["profile"] = run.profile_line;
  run.context["comm_model"] = comm;
  run.context["prediction"] = "model::predict_layer on the profile's device and cluster; err_* = predicted / measured - 1";
  r.context = std::move(run.context);
  r.profile_line = std::move(run.profile_line);
  return r;
}

ValidationResult run_experiment(const Experiment& experiment, Reference& reference) {
  auto run = reference.run(experiment);
  if (!experiment.grid.empty()) run.context["grid"] = experiment.grid;
  if (!experiment.label.empty()) run.context["label"] = experiment.label;
  return predict_run(std::move(run), experiment.comm);
}

}  // namespace switchsim::validate
