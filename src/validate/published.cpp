#include "validate/published.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <set>
#include <stdexcept>

#include "comm/flow_comm.hpp"
#include "config/json_file.hpp"
#include "config/object_reader.hpp"
#include "model/simulate.hpp"
#include "net/collective.hpp"
#include "report/validation_errors.hpp"
#include "topology/build.hpp"

namespace switchsim::validate {
namespace {

std::string non_empty(config::ObjectReader& r, std::string_view key) {
  auto text = r.string(key);
  if (text.find_first_not_of(" \t\n") == std::string::npos) r.fail(key, "must not be empty");
  return text;
}

CollectivePredict parse_collective(config::ObjectReader& p) {
  CollectivePredict c;
  c.cluster = non_empty(p, "cluster");
  c.op = non_empty(p, "op");
  const auto op = net::parse_op(c.op);
  if (!op || *op == net::CollectiveOp::alltoallv)
    p.fail("op", "must be alltoall, allreduce, allgather or reducescatter, got \"" + c.op + "\"");
  c.algorithm = non_empty(p, "algorithm");
  const auto algorithm = net::parse_algorithm(c.algorithm);
  const auto supported = net::algorithms_for(*op);
  if (!algorithm || std::find(supported.begin(), supported.end(), *algorithm) == supported.end())
    p.fail("algorithm", "\"" + c.algorithm + "\" is not an algorithm of " + c.op);
  c.ranks = p.positive_int("ranks");
  c.size_bytes = p.positive_int("size_bytes");
  return c;
}

model::Scenario parse_simulate(config::ObjectReader& p) {
  model::Scenario s;
  s.model = non_empty(p, "model");
  s.cluster = non_empty(p, "cluster");
  if (auto v = p.optional_positive_int("experts")) s.experts = *v;
  if (auto v = p.optional_positive_number("capacity_factor")) s.capacity_factor = *v;
  if (auto v = p.optional_positive_int("top_k")) s.top_k = *v;
  s.batch_tokens = p.positive_int_or("batch_tokens", s.batch_tokens);
  if (auto v = p.optional_string("compute_dtype")) s.compute_dtype = *v;
  if (auto v = p.optional_string("router_dtype")) s.router_dtype = *v;
  s.padding = p.choice_or("padding", {"capacity", "dropless"}, s.padding);
  s.layout = p.string_or("layout", s.layout);
  // The implementation choices a GPU training run states (Megatron / DeepSpeed scripts):
  // sequence length, activation checkpointing, optimizer, gradient accumulation, dispatch.
  if (auto v = p.optional_positive_int("seq_len")) s.seq_len = *v;
  s.remat = p.choice_or("remat", {"none", "attention", "full"}, s.remat);
  s.optimizer = p.choice_or("optimizer", {"adafactor", "adam"}, s.optimizer);
  s.microbatches = p.positive_int_or("microbatches", s.microbatches);
  if (p.has("dispatch")) s.dispatch = p.choice("dispatch", {"einsum", "scatter", "grouped"});
  return s;
}

PublishedRow parse_row(config::ObjectReader& r, std::set<std::string>& ids) {
  PublishedRow row;
  row.id = non_empty(r, "id");
  if (!ids.insert(row.id).second) r.fail("id", "duplicate id \"" + row.id + "\"");
  auto source = r.object("source");
  row.document = non_empty(source, "document");
  row.where = non_empty(source, "where");
  source.finish();
  row.hardware = non_empty(r, "hardware");
  row.what = non_empty(r, "what");
  row.configuration = non_empty(r, "configuration");
  row.metric = r.choice("metric", {"busbw_GBps", "examples_per_s"});
  row.measured = r.positive_number("measured");
  row.read = non_empty(r, "read");
  if (r.has("assumptions")) row.assumptions = non_empty(r, "assumptions");
  auto p = r.object("predict");
  const auto kind = p.choice("kind", {"collective", "simulate"});
  const auto metric = p.choice("metric", {"busbw_GBps", "examples_per_s"});
  const std::string expected = kind == "collective" ? "busbw_GBps" : "examples_per_s";
  if (metric != expected) p.fail("metric", "a " + kind + " prediction gives " + expected + ", got \"" + metric + "\"");
  if (metric != row.metric) p.fail("metric", "must equal the row's metric \"" + row.metric + "\"");
  if (kind == "collective")
    row.predict = parse_collective(p);
  else
    row.predict = parse_simulate(p);
  p.finish();
  r.finish();
  return row;
}

double collective_busbw_GBps(const CollectivePredict& c, const config::Catalog& catalog) {
  const auto cluster = catalog.cluster(c.cluster);
  const auto topo = topology::build_topology(cluster);
  if (c.ranks > topo.endpoint_count())
    throw std::invalid_argument(fmt::format("{} ranks but {} has {} devices", c.ranks, cluster.name, topo.endpoint_count()));
  net::CollectiveSpec spec;
  spec.op = *net::parse_op(c.op);
  spec.algorithm = *net::parse_algorithm(c.algorithm);
  spec.ranks.resize(static_cast<std::size_t>(c.ranks));
  std::iota(spec.ranks.begin(), spec.ranks.end(), 0);
  spec.bytes_per_rank = Bytes(c.size_bytes);
  const auto time = net::collective_time(topo, spec);
  const double algbw = static_cast<double>(c.size_bytes) / time.seconds();
  return algbw * net::bus_factor(spec.op, c.ranks) / 1e9;
}

// The catalog's own rule for "a path, not a name" (config/catalog.cpp).
bool names_a_path(const std::string& name) { return name.find('/') != std::string::npos || name.ends_with(".json"); }

std::string beside_table(const std::string& name, const config::Catalog& catalog, const std::string& file) {
  namespace fs = std::filesystem;
  if (!names_a_path(name) || fs::path(name).is_absolute()) return name;
  const auto dir = fs::path(file).parent_path();
  const auto beside = dir / name;
  std::error_code ec;
  if (!fs::exists(beside, ec) && dir.is_relative()) {
    const auto shipped = catalog.data_dir() / dir / name;
    if (fs::exists(shipped, ec)) return shipped.string();
  }
  return beside.string();
}

double simulated_examples_per_s(const model::Scenario& s, const config::Catalog& catalog) {
  const auto inputs = model::make_inputs(s, catalog);
  comm::FlowComm network(inputs.cluster);
  return model::simulate_step(inputs, network).examples_per_s;
}

}  // namespace

PublishedTable parse_published_table(const nlohmann::json& document, const std::string& file) {
  if (!document.is_object()) throw config::ConfigError(file, "/", "must be an object with \"rows\"");
  config::ObjectReader top(document, file);
  (void)top.string_or("description", "");
  const auto& rows = top.array("rows");
  if (rows.empty()) throw config::ConfigError(file, "/rows", "must hold at least one row");
  PublishedTable table;
  table.file = file;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto pointer = "/rows/" + std::to_string(i);
    if (!rows[i].is_object()) throw config::ConfigError(file, pointer, "must be an object");
    config::ObjectReader r(rows[i], file, pointer);
    table.rows.push_back(parse_row(r, ids));
  }
  top.finish();
  return table;
}

PublishedTable read_published_table(const std::filesystem::path& file) {
  return parse_published_table(config::load_json_file(file), file.string());
}

model::Scenario resolved_scenario(const model::Scenario& scenario, const config::Catalog& catalog,
                                  const std::string& file) {
  auto s = scenario;
  s.model = beside_table(s.model, catalog, file);
  s.cluster = beside_table(s.cluster, catalog, file);
  return s;
}

PublishedPrediction predict_row(const PublishedRow& row, const config::Catalog& catalog, const std::string& file,
                                std::size_t index) {
  PublishedPrediction p;
  try {
    if (const auto* c = std::get_if<CollectivePredict>(&row.predict)) {
      auto resolved = *c;
      resolved.cluster = beside_table(c->cluster, catalog, file);
      p.predicted = collective_busbw_GBps(resolved, catalog);
    } else {
      p.predicted =
          simulated_examples_per_s(resolved_scenario(std::get<model::Scenario>(row.predict), catalog, file), catalog);
    }
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(file, "/rows/" + std::to_string(index) + "/predict", e.what());
  } catch (const config::ConfigError& e) {
    // A model or cluster file the row names (missing, or bad): say which row asked for it.
    throw config::ConfigError(file, "/rows/" + std::to_string(index) + "/predict", e.what());
  }
  p.err = p.predicted / row.measured - 1.0;
  return p;
}

PublishedSummary summarize(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions) {
  std::vector<double> errs;
  std::set<std::string> documents;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    errs.push_back(predictions.at(i).err);
    documents.insert(table.rows[i].document);
  }
  const auto s = report::summarize_errors(errs);
  return PublishedSummary{s.count, documents.size(), s.median_abs, s.max_abs, table.rows[s.max_index].id};
}

nlohmann::json to_json(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions,
                       const PublishedSummary& summary) {
  nlohmann::json results = nlohmann::json::array();
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& r = table.rows[i];
    const bool collective = std::holds_alternative<CollectivePredict>(r.predict);
    results.push_back({{"id", r.id},
                       {"document", r.document},
                       {"where", r.where},
                       {"hardware", r.hardware},
                       {"what", r.what},
                       {"configuration", r.configuration},
                       {"kind", collective ? "collective" : "simulate"},
                       {"metric", r.metric},
                       {"measured", r.measured},
                       {"predicted", predictions[i].predicted},
                       {"err", predictions[i].err},
                       {"read", r.read}});
    if (!r.assumptions.empty()) results.back()["assumptions"] = r.assumptions;
  }
  return {{"context",
           {{"published_file", table.file},
            {"prediction", "collective rows: net::collective_time on the cluster, nccl-tests busbw; simulate rows: "
                           "one training step on the flow network; shipped profiles, no per-row tuning"},
            {"err", "predicted / measured - 1"}}},
          {"summary",
           {{"rows", summary.rows},
            {"documents", summary.documents},
            {"median_abs_err", summary.median_abs_err},
            {"max_abs_err", summary.max_abs_err},
            {"max_abs_err_id", summary.max_abs_err_id}}},
          {"results", results}};
}

std::string to_text(const PublishedTable& table, const std::vector<PublishedPrediction>& predictions,
                    const PublishedSummary& summary) {
  std::string out = fmt::format("published measurements from {} predicted with the shipped profiles (err = predicted / measured - 1)\n",
                                table.file);
  out += fmt::format("{:<36} {:<15} {:>12} {:>12} {:>8}  {}\n", "id", "metric", "measured", "predicted", "err", "source");
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const auto& r = table.rows[i];
    out += fmt::format("{:<36} {:<15} {:>12.2f} {:>12.2f} {:>+8.3f}  {}; {}\n", r.id, r.metric, r.measured,
                       predictions[i].predicted, predictions[i].err, r.document, r.where);
  }
  out += fmt::format("{} rows from {} documents: median |err| {:.3f}, worst |err| {:.3f} ({})\n", summary.rows,
                     summary.documents, summary.median_abs_err, summary.max_abs_err, summary.max_abs_err_id);
  return out;
}

}  // namespace switchsim::validate
