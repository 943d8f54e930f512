#include "validate/recorded_reference.hpp"

#include <fmt/format.h>

#include <ctime>

#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "validate/cpu_calibration.hpp"
#include "validate/errors.hpp"
#include "validate/prediction.hpp"
#include "validate/profile.hpp"

namespace switchsim::validate {

RecordedReference::RecordedReference(std::string measured_file, std::filesystem::path device, std::string cluster)
    : measured_file_(std::move(measured_file)), device_(std::move(device)), cluster_(std::move(cluster)) {}

ReferenceRun RecordedReference::run(const Experiment&) {
  if (!std::filesystem::exists(device_))
    throw RequestError("--measured needs an existing --profile; " + device_.string() + " does not exist");
  const auto document = config::load_json_file(measured_file_);
  config::ObjectReader top(document, measured_file_);
  const auto& results = top.array("results");
  if (results.empty()) throw RequestError(measured_file_ + " has no results");
  ReferenceRun run;
  for (std::size_t i = 0; i < results.size(); ++i) {
    run.specs.push_back(spec_of_row(results[i], measured_file_, "/results/" + std::to_string(i)));
    run.rows.push_back(results[i]);
    // The first row's ranks name the cluster file (before later rows are read, as errors expect).
    if (i == 0)
      run.cluster = load_profile(
          device_, cpu_calibration_files(device_, cluster_, profile_name(device_), run.specs[0].ranks).cluster);
  }
  // The calibration date, not its age: offline validation is a pure function of its files and
  // must print the same bytes whenever it runs.
  const auto date = calibration_date(device_);
  char when[32] = "an unknown date";
  if (date) std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &*date);
  run.context = top.has("context") ? top.raw("context") : nlohmann::json::object();
  run.context["measured_file"] = measured_file_;
  run.profile_line = fmt::format("profile {} (calibrated {}); measurements from {} (not re-measured)", device_.string(),
                                 when, measured_file_);
  return run;
}

}  // namespace switchsim::validate
