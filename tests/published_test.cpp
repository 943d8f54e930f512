// `switchsim validate --published`: the committed table of published measurements (schema,
// sources, the issue's >= 15 rows from >= 4 documents), one row's error recomputed by hand
// from the ring all-reduce closed form, bad tables (exit 2 naming file and field), and the
// report's section; the GPU rows (A100 all-reduce, DeepSpeed-MoE training) recomputed from the
// configuration they state.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <variant>

#include "cli_runner.hpp"
#include "comm/flow_comm.hpp"
#include "config/catalog.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "report/document.hpp"
#include "report/published_section.hpp"
#include "validate/published.hpp"

namespace fs = std::filesystem;
using switchsim::test::run_cli;
using switchsim::test::source_path;

namespace {
const char* kTable = "traces/published/measurements.json";

nlohmann::json shipped() { return switchsim::config::load_json_file(source_path(kTable)); }

switchsim::config::Catalog source_catalog() { return switchsim::config::Catalog(SWITCHSIM_SOURCE_DIR); }

const switchsim::validate::PublishedRow& row_named(const switchsim::validate::PublishedTable& table, const std::string& id) {
  for (const auto& row : table.rows)
    if (row.id == id) return row;
  FAIL("no row " << id);
  throw std::logic_error("unreachable");
}

fs::path write_temp(const std::string& what, const nlohmann::json& j) {
  const auto path = fs::temp_directory_path() / fmt::format("switchsim_published_{}_{}.json", what, ::getpid());
  std::ofstream(path) << j.dump(2);
  return path;
}
}  // namespace

TEST_CASE("the committed published table parses, every row names its document and where in it, >= 15 rows from >= 4 documents") {
  const auto table = switchsim::validate::parse_published_table(shipped(), kTable);
  std::set<std::string> documents;
  for (const auto& row : table.rows) {
    CHECK_FALSE(row.document.empty());
    CHECK_FALSE(row.where.empty());
    CHECK_FALSE(row.read.empty());
    CHECK(row.measured > 0);
    documents.insert(row.document);
  }
  CHECK(table.rows.size() >= 15);
  CHECK(documents.size() >= 4);
}

TEST_CASE("a ring all-reduce row on one NVSwitch node: validate prints the error of the closed form busbw") {
  // nccl-h100-8-ring-allreduce: 8 ranks, S = 4 GiB, dgx-h100-8 links B = 450 GB/s per direction,
  // 0.5 us per link, so a round's flow crosses GPU->switch->GPU: alpha = 1 us.
  // Ring: 2(n-1) rounds of S/n, time = 2(n-1)(S/(nB) + alpha); busbw = S/time * 2(n-1)/n
  //   = (S/n) / (S/(nB) + alpha) = 536870912 / (536870912/450e9 + 1e-6) = 449.6232 GB/s.
  const double s_over_n = 4294967296.0 / 8;
  const double busbw = s_over_n / (s_over_n / 450e9 + 1e-6) / 1e9;
  const double err = busbw / 370.0 - 1.0;
  const auto r = run_cli("validate --published --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& row : j["results"]) {
    if (row["id"] != "nccl-h100-8-ring-allreduce") continue;
    found = true;
    CHECK(row["measured"].get<double>() == 370.0);
    CHECK(row["predicted"].get<double>() == Approx(busbw).epsilon(1e-6));
    CHECK(row["err"].get<double>() == Approx(err).epsilon(1e-6));
  }
  CHECK(found);
  CHECK(j["summary"]["rows"].get<std::size_t>() == j["results"].size());
  CHECK(j["summary"]["max_abs_err"].get<double>() >= j["summary"]["median_abs_err"].get<double>());
  // The text form prints the same row and the summary line.
  const auto text = run_cli("validate --published");
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("nccl-h100-8-ring-allreduce") && Catch::Contains(fmt::format("{:+.3f}", err)));
  CHECK_THAT(text.out, Catch::Contains("median |err|") && Catch::Contains("worst |err|"));
}

TEST_CASE("a published table with a bad row exits 2 naming the file and the field, and writes nothing") {
  struct Case {
    std::string what;
    std::function<void(nlohmann::json&)> edit;
    std::string field;
  };
  const std::vector<Case> cases{
      {"nosource", [](nlohmann::json& j) { j["rows"][0].erase("source"); }, "/rows/0/source"},
      {"emptydoc", [](nlohmann::json& j) { j["rows"][1]["source"]["document"] = " "; }, "/rows/1/source/document"},
      {"negative", [](nlohmann::json& j) { j["rows"][2]["measured"] = -3; }, "/rows/2/measured"},
      {"metric", [](nlohmann::json& j) { j["rows"][12]["predict"]["metric"] = "examples_per_s"; }, "/rows/12/predict/metric"},
      {"typo", [](nlohmann::json& j) { j["rows"][3]["predict"]["capacity_facter"] = 1; }, "/rows/3/predict/capacity_facter"},
      {"ranks", [](nlohmann::json& j) { j["rows"][13]["predict"]["ranks"] = 64; }, "/rows/13/predict"},
      {"remat", [](nlohmann::json& j) { j["rows"][18]["predict"]["remat"] = "half"; }, "/rows/18/predict/remat"},
      {"assume", [](nlohmann::json& j) { j["rows"][18]["assumptions"] = ""; }, "/rows/18/assumptions"},
      {"nomodel", [](nlohmann::json& j) { j["rows"][18]["predict"]["model"] = "models/none.json"; }, "/rows/18/predict"},
  };
  for (const auto& c : cases) {
    auto j = shipped();
    c.edit(j);
    const auto path = write_temp(c.what, j);
    const auto out = fs::temp_directory_path() / fmt::format("switchsim_published_out_{}", ::getpid());
    fs::remove(out);
    const auto r = run_cli(fmt::format("validate --published {} --out {}", path.string(), out.string()));
    INFO(c.what << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(path.string()) && Catch::Contains(c.field));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK_FALSE(fs::exists(out));
    fs::remove(path);
  }
}

TEST_CASE("the report's published section lists every row and recomputes err from measured and predicted") {
  const nlohmann::json j{{"results",
                          {{{"id", "a"}, {"document", "doc A"}, {"where", "Table 1"}, {"hardware", "hw"}, {"metric", "busbw_GBps"},
                            {"measured", 100.0}, {"predicted", 120.0}},
                           {{"id", "b"}, {"document", "doc B"}, {"where", "Fig. 2"}, {"hardware", "hw"}, {"metric", "examples_per_s"},
                            {"measured", 200.0}, {"predicted", 150.0}},
                           {{"id", "c"}, {"document", "doc B"}, {"where", "Fig. 3"}, {"hardware", "hw"}, {"metric", "examples_per_s"},
                            {"measured", 50.0}, {"predicted", 51.0}}}}};
  const auto results = switchsim::report::parse_published_results(j, "p.json");
  // errs +0.20, -0.25, +0.02: median |err| 0.20, worst 0.25 (b), 2 documents.
  const auto section = switchsim::report::published_section(results);
  REQUIRE(section.tables.size() == 1);
  CHECK(section.tables[0].rows.size() == 3);
  CHECK(section.tables[0].rows[1][5] == "-0.250");
  REQUIRE(section.paragraphs.size() == 1);
  CHECK_THAT(section.paragraphs[0], Catch::Contains("3 rows from 2 documents: median |err| 0.200, worst |err| 0.250 (b)"));
  auto bad = j;
  bad["results"][1].erase("predicted");
  CHECK_THROWS_AS(switchsim::report::parse_published_results(bad, "p.json"), switchsim::config::ConfigError);
}

TEST_CASE("report --published adds the section to report.md from validate --published --json") {
  const auto dir = fs::temp_directory_path() / fmt::format("switchsim_published_report_{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(source_path("tests/data/sweep-small/results.json"), dir / "results.json");
  const auto out = dir / "published.json";
  const auto v = run_cli(fmt::format("validate --published --json --out '{}'", out.string()));
  INFO(v.err);
  REQUIRE(v.exit_code == 0);
  const auto r = run_cli(fmt::format("report '{}' --published '{}'", dir.string(), out.string()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::ifstream in(dir / "report.md");
  const std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(md, Catch::Contains("Published measurements") && Catch::Contains("nccl-h100-8-ring-allreduce") &&
                     Catch::Contains("Switch Transformers"));
  fs::remove_all(dir);
}

TEST_CASE("the A100 all-reduce row: 8 ranks of 8 GiB on dgx-a100-8's 300 GB/s NVLink3 give the ring closed form") {
  // nccl-a100-8-allreduce-230: dgx-a100-8 links B = 300 GB/s per direction (12 NVLink3 x 25 GB/s),
  // 0.5 us per link, so alpha = 1 us GPU->switch->GPU; busbw = (S/n) / ((S/n)/B + alpha).
  const double s_over_n = 8589934592.0 / 8;
  const double busbw = s_over_n / (s_over_n / 300e9 + 1e-6) / 1e9;  // 299.92 GB/s
  const auto table = switchsim::validate::parse_published_table(shipped(), kTable);
  const auto& row = row_named(table, "nccl-a100-8-allreduce-230");
  CHECK(row.measured == 230.0);
  const auto p = switchsim::validate::predict_row(row, source_catalog(), kTable, 0);
  CHECK(p.predicted == Approx(busbw).epsilon(1e-6));
  CHECK(p.err == Approx(busbw / 230.0 - 1.0).epsilon(1e-6));
}

TEST_CASE("the DeepSpeed-MoE rows simulate what they state: sequences per step, parallel layout and the hand-counted model FLOPs") {
  namespace model = switchsim::model;
  const auto catalog = source_catalog();
  const auto table = switchsim::validate::parse_published_table(shipped(), kTable);
  struct Case {
    std::string id;
    std::int64_t sequences;  // global batch in sequences of 2048
    std::int64_t tp;
    double flops_per_token;  // forward, by hand below
  };
  // Forward FLOPs a token (model/model_stats.hpp: 2 per weight touched plus 4 s h d_kv scores a
  // layer; no LM head in an encoder-only stack), s = 2048:
  // 1.3B+MoE-128, d = 2048, d_ff = 8192, 24 layers, 12 of them Switch layers with E = 128, top-1:
  //   attention weights 4 d^2 = 16,777,216; FFN 2 d d_ff = 33,554,432; router d E = 262,144;
  //   2 (24 x 16,777,216 + 12 x 33,554,432 + 12 x (33,554,432 + 262,144)) = 2,422,210,560;
  //   scores 24 x 4 x 2048 x 2048 = 402,653,184; total 2,824,863,744.
  // 6.7B dense, d = 4096, d_ff = 16384, 32 layers:
  //   32 x (2 (4 d^2 + 2 d d_ff) + 4 x 2048 x 4096) = 32 x (402,653,184 + 33,554,432) = 13,958,643,712.
  const std::vector<Case> cases{{"deepspeed-moe-1.3b-moe128-128xa100", 512, 1, 2824863744.0},
                                {"deepspeed-moe-6.7b-dense-128xa100", 1024, 8, 13958643712.0}};
  for (const auto& c : cases) {
    INFO(c.id);
    const auto& row = row_named(table, c.id);
    const auto scenario =
        switchsim::validate::resolved_scenario(std::get<model::Scenario>(row.predict), catalog, kTable);
    const auto inputs = model::make_inputs(scenario, catalog);
    CHECK(inputs.cluster.devices == 128);
    CHECK(inputs.layout.tp == c.tp);
    CHECK(inputs.layout.dp == 128 / c.tp);
    switchsim::comm::FlowComm network(inputs.cluster);
    const auto result = model::simulate_step(inputs, network);
    CHECK(result.sequences_per_step == c.sequences);
    CHECK(result.model_flops_per_step == Approx(3.0 * static_cast<double>(c.sequences) * 2048.0 * c.flops_per_token));
    // The row's prediction is exactly that step: sequences / step time.
    const auto p = switchsim::validate::predict_row(row, catalog, kTable, 0);
    CHECK(p.predicted == Approx(static_cast<double>(c.sequences) / result.step_time.seconds()).epsilon(1e-12));
    CHECK(p.err == Approx(p.predicted / row.measured - 1.0));
  }
}

TEST_CASE("a published table reads a model named by a relative path beside the table file") {
  // A copy of the table in a temporary directory with no models/ beside it: the GPU row's model
  // path is looked up there, not in the catalog, and the error names that path.
  const auto table = switchsim::validate::parse_published_table(shipped(), kTable);
  const auto& row = row_named(table, "deepspeed-moe-1.3b-moe128-128xa100");
  const auto elsewhere = (fs::temp_directory_path() / "switchsim_published_elsewhere" / "table.json").string();
  const auto scenario = switchsim::validate::resolved_scenario(std::get<switchsim::model::Scenario>(row.predict),
                                                               source_catalog(), elsewhere);
  CHECK(scenario.model == (fs::path(elsewhere).parent_path() / "models/gpt-1.3b-moe-128.json").string());
  CHECK(scenario.cluster == "a100-fat-tree-128");  // a catalog name stays a name
  CHECK_THROWS_AS(switchsim::validate::predict_row(row, source_catalog(), elsewhere, 3), switchsim::config::ConfigError);
}
