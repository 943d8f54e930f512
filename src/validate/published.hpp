#pragma once
// Published real-hardware measurements (traces/published/measurements.json) and what the
// simulator predicts for each, with the shipped hardware profiles and no per-row tuning:
//   kind "collective": net::collective_time on the cluster's topology for `ranks` endpoints and
//     `size_bytes` per rank; busbw_GBps = size / time * bus_factor(op, ranks) / 1e9
//     (nccl-tests conventions: (n-1)/n for all-to-all, 2(n-1)/n for all-reduce), exactly what
//     `switchsim collective` prints;
//   kind "simulate": model::simulate_step on the flow network (as `switchsim simulate`);
//     examples_per_s = sequences per step / step time. A model or cluster named by a relative
//     path (with a '/' or a .json suffix) is read beside the table file, so a table can carry
//     the shapes of models the catalog does not ship (traces/published/models/).
// err = predicted / measured - 1 (report/validation_errors.hpp); over the table the median and
// the worst |err|, and how many independent documents the rows come from.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/catalog.hpp"
#include "model/scenario.hpp"

namespace switchsim::validate {

struct CollectivePredict {
  std::string cluster;
  std::string op;         // net::parse_op names
  std::string algorithm;  // net::parse_algorithm names
  std::int64_t ranks = 0;
  std::int64_t size_bytes = 0;
};

struct PublishedRow {
  std::string id;
  std::string document;  // the paper, doc page or thread
  std::string where;     // table, figure or comment in it
  std::string hardware;
  std::string what;
  std::string configuration;
  std::string metric;  // "busbw_GBps" (collective) or "examples_per_s" (simulate)
  double measured = 0;
  std::string read;  // how the number was read from the source
  // What the prediction assumes that the source does not state (batch, layout, cluster, ...);
  // empty when the source states the whole configuration.
  std::string assumptions;
  std::variant<CollectivePredict, model::Scenario> predict;
};

struct PublishedTable {
  std::string file;
  std::vector<PublishedRow> rows;
};

// Throws config::ConfigError naming the file and the JSON pointer of the first bad field
// (missing source, empty string, non-positive measurement, metric that does not match the
// prediction kind, unknown field, duplicate id, ...).
PublishedTable parse_published_table(const nlohmann::json& document, const std::string& file);
PublishedTable read_published_table(const std::filesystem::path& file);

struct PublishedPrediction {
  double predicted = 0;  // in the row's metric
  double err = 0;        // predicted / measured - 1
};

// A simulate row's scenario with its model and cluster paths resolved beside the table `file`
// (for the shipped table, whose `file` is relative to the data directory, under the catalog's
// data directory when nothing is found beside the working directory's copy of that path).
model::Scenario resolved_scenario(const model::Scenario& scenario, const config::Catalog& catalog,
                                  const std::string& file);

// Throws config::ConfigError (file + pointer of the row's predict object) when the simulator
// refuses a row's configuration (unknown cluster or model, more ranks than devices, ...) or
// cannot read a model or cluster file the row names (that file's own error in the message).
PublishedPrediction predict_row(const PublishedRow& row, const config::Catalog& catalog, const std::string& file,
                                std::size_t index);

struct PublishedSummary {
  std::size_t rows = 0;
  std::size_t documents = 0;  // distinct `document`s
  double median_abs_err = 0;
  double max_abs_err = 0;
  std::string max_abs_err_id;
};

PublishedSummary summarize(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions);

// {"context": {...}, "summary": {...}, "results": [{id, document, where, hardware, what,
// configuration, metric, measured, predicted, err, read, assumptions?}]}: what `report --published` reads.
nlohmann::json to_json(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions,
                       const PublishedSummary& summary);
// A fixed-width text table and the summary lines.
std::string to_text(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions,
                    const PublishedSummary& summary);

}  // namespace switchsim::validate
