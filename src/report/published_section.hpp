#pragma once
// The report's "Published measurements" section: the rows `switchsim validate --published
// --json` writes (id, document, where, hardware, metric, measured, predicted, err), as one
// table with the median and worst |err| over them (report/validation_errors.hpp).

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/document.hpp"

namespace switchsim::report {

struct PublishedResultRow {
  std::string id;
  std::string document;
  std::string where;
  std::string hardware;
  std::string metric;
  double measured = 0;
  double predicted = 0;
  double err = 0;  // predicted / measured - 1, recomputed on reading
};

struct PublishedResults {
  std::string name;  // the file as given
  std::vector<PublishedResultRow> rows;
};

// Throws config::ConfigError naming the file and the pointer of a missing or bad field.
PublishedResults parse_published_results(const nlohmann::json& document, const std::string& file);
PublishedResults read_published_results(const std::filesystem::path& file);

Section published_section(const PublishedResults& results);

}  // namespace switchsim::report
