#pragma once
// The rows of an earlier `measure --json` or `validate --json` file as a reference: nothing is
// measured again, so the validation is a pure function of its files (same bytes on every run:
// the profile line names the calibration date, not its age).

#include <filesystem>
#include <string>

#include "validate/reference.hpp"

namespace switchsim::validate {

class RecordedReference final : public Reference {
 public:
  // `cluster`: a cluster file, or empty for NAME-cluster-RANKS.json next to the device file.
  RecordedReference(std::string measured_file, std::filesystem::path device, std::string cluster);
  ReferenceRun run(const Experiment& experiment) override;

 private:
  std::string measured_file_;
  std::filesystem::path device_;
  std::string cluster_;
};

}  // namespace switchsim::validate
