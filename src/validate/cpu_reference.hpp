#pragma once
// The CPU reference (ref/cpu: OpenBLAS sgemm + MPI all-to-all on the ranks of MPI_COMM_WORLD)
// as a Reference. It predicts from the saved profile alone (calibrate's fixed grid; the kernel
// model interpolates between its points), calibrating it first only when it is missing, older
// than max_age_h (the date in its sources) or recalibrate is set, and then DURING the
// measurement: per round the fixed grid, streaming and all-to-all once, alternating with the
// layer's timed rounds (a shared VM's speed drifts by tens of percent over seconds).
// `oracle` (a diagnostic): every GEMM shape and all-to-all size the predictions need besides,
// sampled in the same rounds (the layers are measured exactly as without it), written to
// NAME-oracle.json beside the profile; the same calibration cut to its fixed grid predicts beside
// it (kernel-model interpolation + composition error vs composition alone). The context's `machine` says whether the machine was busy or drifting.
// Collective: every rank runs it; the world must have spec.ranks ranks.

#include <filesystem>
#include <string>

#include "validate/reference.hpp"
#include "validate/tool_info.hpp"

namespace switchsim::validate {

struct CpuReferenceOptions {
  std::filesystem::path device;  // the profile's device file
  std::string cluster;           // empty: NAME-cluster-RANKS.json next to it
  bool quick_calibration = false;
  double max_age_h = 24;
  bool recalibrate = false;
  bool oracle = false;
};

class CpuReference final : public Reference {
 public:
  CpuReference(CpuReferenceOptions options, ToolInfo tool, WriteFile write);
  ReferenceRun run(const Experiment& experiment) override;

 private:
  CpuReferenceOptions o_;
  ToolInfo tool_;
  WriteFile write_;
};

}  // namespace switchsim::validate
