#pragma once
// The validation experiment: a reference runs the layers, the layer model predicts each row
// from the profile the reference names, and the result carries per-row errors and a summary.

#include "validate/reference.hpp"
#include "validate/result.hpp"

namespace switchsim::validate {

// Collective when the reference is (CpuReference: every MPI rank calls it; only rank 0's result
// has root = true and rows to print).
ValidationResult run_experiment(const Experiment& experiment, Reference& reference);

// The prediction half alone: a reference's run predicted and summarized.
ValidationResult predict_run(ReferenceRun run, const std::string& comm);

}  // namespace switchsim::validate
