// The validation experiment's library pieces without a reference run: the held-out grid file,
// a skewed row predicted from the load the reference measured, and the summary's spreads.

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "config/error.hpp"
#include "compute/kernel_model.hpp"
#include "model/layer_prediction.hpp"
#include "ref/cpu/calibrator.hpp"
#include "validate/errors.hpp"
#include "validate/grid_file.hpp"
#include "validate/prediction.hpp"
#include "validate/profile.hpp"
#include "validate/result.hpp"

using namespace switchsim;
using switchsim::test::source_path;

TEST_CASE("the shipped held-out grid has 40+ layers spanning the issue's ranges, none of its widths on the calibration grid") {
  const auto path = source_path(validate::kHeldOutGrid);
  const auto grid = validate::parse_grid_file(nlohmann::json::parse(std::ifstream(path)), path, "cpu");
  REQUIRE(grid.specs.size() >= 40);
  std::set<std::int64_t> experts, top_k;
  std::set<double> cf;
  std::set<std::string> padding, routing;
  std::set<std::int64_t> tokens;
  // calibrate's fixed grid (full and quick): the n and k its GEMMs are timed at.
  std::set<std::int64_t> calibrated;
  for (bool quick : {false, true})
    for (const auto& g : ref::cpu::default_plan(quick).gemm) {
      calibrated.insert(g.n);
      calibrated.insert(g.k);
    }
  for (const auto& s : grid.specs) {
    CHECK(s.ranks == 2);
    CHECK(s.experts % s.ranks == 0);
    CHECK_FALSE(calibrated.contains(s.d_model));
    CHECK_FALSE(calibrated.contains(s.d_ff));
    experts.insert(s.experts);
    top_k.insert(s.top_k);
    cf.insert(s.capacity_factor);
    padding.insert(s.padding);
    routing.insert(s.routing.substr(0, s.routing.find(':')));
    tokens.insert(s.tokens_per_rank);
  }
  CHECK(*experts.begin() == 2);
  CHECK(*experts.rbegin() == 64);
  CHECK(*cf.begin() == 0.5);
  CHECK(*cf.rbegin() == 2.0);
  CHECK(tokens.size() >= 3);
  CHECK(top_k == std::set<std::int64_t>{1, 2});
  CHECK(padding == std::set<std::string>{"capacity", "dropless"});
  CHECK(routing == std::set<std::string>{"hot", "uniform", "zipf"});
}

TEST_CASE("a grid file's unknown field or bad routing is one error naming the file and the config") {
  const auto doc = nlohmann::json::parse(R"({"name": "g", "ranks": 2, "configs": [
      {"experts": 4, "capacity_factor": 1, "tokens_per_rank": 64, "d_model": 16, "d_ff": 32},
      {"experts": 4, "capacity_factor": 1, "tokens_per_rank": 64, "d_model": 16, "d_ff": 32, "expert": 3}]})");
  CHECK_THROWS_WITH(validate::parse_grid_file(doc, "g.json", "cpu"),
                    Catch::Contains("g.json") && Catch::Contains("/configs/1/expert"));
  auto skew = doc;
  skew["configs"].erase(1);
  skew["configs"][0]["routing"] = "zipf:oops";
  CHECK_THROWS_AS(validate::parse_grid_file(skew, "g.json", "cpu"), config::ConfigError);
}

TEST_CASE("a skewed row is predicted from the per-expert load the reference measured") {
  ref::LayerSpec s;
  s.ranks = 2;
  s.experts = 4;
  s.tokens_per_rank = 8;
  s.d_model = 16;
  s.d_ff = 32;
  s.padding = "dropless";
  s.routing = "hot:0.5";
  // All ranks together: 16 assignments, 12 of them to expert 0.
  nlohmann::json row{{"expert_assignments", {12, 2, 1, 1}}};
  const auto scenario = validate::scenario_of_row(s, row);
  REQUIRE(scenario.routing.kind == model::RoutingSpec::Kind::trace);
  // Each rank's 8 tokens get the measured shares: 12/2 = 6, 1, and the two halves' one left-over
  // assignment to the lower expert (largest remainders): 6, 1, 1, 0. Rank 0 hosts experts 0 and
  // 1 and receives both ranks' rows for them: 2 x 6 = 12 and 2 x 1 = 2, 14 in all.
  const auto work = model::plan_layer(scenario);
  CHECK(work.rows_per_local_expert == std::vector<std::int64_t>{12, 2});
  CHECK(work.received_rows == 14);

  // Without measured counts a skew is refused rather than replaced by the model's own reading.
  CHECK_THROWS_AS(validate::scenario_of_row(s, nlohmann::json::object()), validate::RequestError);
  // Uniform routing keeps the model's own sampling.
  s.routing = "uniform";
  CHECK(validate::scenario_of_row(s, row).routing.kind == model::RoutingSpec::Kind::uniform);
}

TEST_CASE("the summary's measured spread is the median over configs of (p90 - p10) / median, per phase") {
  std::vector<nlohmann::json> rows;
  // Three configs whose step spreads are 0.1, 0.3 and 0.2 (median 0.2); expert_ffn's 0.5, 0.1, 0.2.
  const double step_spread[] = {0.1, 0.3, 0.2}, ffn_spread[] = {0.5, 0.1, 0.2};
  for (int i = 0; i < 3; ++i) {
    nlohmann::json r{{"experts", 4}, {"capacity_factor", 1.0}, {"tokens_per_rank", 64}, {"err_step_time", 0.01 * i}};
    for (std::string name : {"step", "expert_ffn"}) {
      const double spread = name == "step" ? step_spread[i] : ffn_spread[i];
      r["measured_" + name + "_time_s"] = 2.0;
      r["measured_" + name + "_time_s_p10"] = 1.0;
      r["measured_" + name + "_time_s_p90"] = 1.0 + 2.0 * spread;
      r["err_" + name] = 0.0;
    }
    rows.push_back(r);
  }
  const auto summary = validate::summarize(rows);
  // Step errors 0, 0.01, 0.02: shared median 0.01, own |err - 0.01| = 0.01 0 0.01 -> 0.01.
  CHECK(summary["median_err_step_time"].get<double>() == Approx(0.01));
  CHECK(summary["median_abs_deviation_err_step_time"].get<double>() == Approx(0.01));
  CHECK(summary["measured_spread_step"].get<double>() == Approx(0.2));
  CHECK(summary["measured_spread_phase"]["expert_ffn"].get<double>() == Approx(0.2));
  CHECK_FALSE(summary["measured_spread_phase"].contains("router"));  // no p10/p90 given
}

TEST_CASE("an oracle profile cut to its fixed grid keeps the grid's points both ways and prices the rest by interpolation") {
  config::ClusterConfig profile;
  auto& d = profile.device;
  d.kind = "cpu";
  d.gemm_grid = config::GemmGrid{{1, 16}, {768}, {96}};
  // The grid (m = 1, 16 as stored and transposed) and an oracle's exact shape between its points.
  d.gemm_efficiency_table = {{1, 768, 96, 0.1, std::nullopt},        {16, 768, 96, 0.5, std::nullopt},
                             {1, 768, 96, 0.05, std::nullopt, true}, {16, 768, 96, 0.4, std::nullopt, true},
                             {4, 768, 96, 0.9, std::nullopt}};
  const auto cut = validate::fixed_grid_only(profile);
  REQUIRE(cut.device.gemm_efficiency_table.size() == 4);
  CHECK(std::none_of(cut.device.gemm_efficiency_table.begin(), cut.device.gemm_efficiency_table.end(),
                     [](const auto& p) { return p.m == 4; }));
  CHECK(std::count_if(cut.device.gemm_efficiency_table.begin(), cut.device.gemm_efficiency_table.end(),
                      [](const auto& p) { return p.transposed_b; }) == 2);
  // m = 4 is its own exact point in the oracle's profile, interpolated in ln m on the cut one:
  // t = ln 4 / ln 16 = 1/2 between 0.1 and 0.5 -> 0.3.
  const compute::KernelModel exact(profile.device), grid(cut.device);
  CHECK(exact.gemm_efficiency({4, 768, 96, 1, DType::fp32}) == 0.9);
  CHECK(grid.gemm_efficiency({4, 768, 96, 1, DType::fp32}) == Approx(0.3));
  // Without a grid nothing can be told apart: the profile comes back whole.
  d.gemm_grid.reset();
  CHECK(validate::fixed_grid_only(profile).device.gemm_efficiency_table.size() == 5);
}

TEST_CASE("the text report says how much of the step error every config shares and how much is each one's own") {
  auto rows_with = [](const std::vector<double>& errs) {
    std::vector<nlohmann::json> rows;
    for (const double e : errs)
      rows.push_back({{"experts", 4}, {"capacity_factor", 1.0}, {"tokens_per_rank", 64}, {"d_model", 32}, {"d_ff", 64},
                      {"ffn", "relu"}, {"ranks", 2}, {"capacity", 16}, {"err_step_time", e}});
    return rows;
  };
  // +0.03 +0.04 +0.05: shared +0.04, own |err - 0.04| = 0.01 0 0.01 -> 0.01; the shared part dominates.
  validate::ValidationResult shared;
  shared.rows = rows_with({0.03, 0.04, 0.05});
  shared.summary = validate::summarize(shared.rows);
  const auto text = validate::to_text(shared);
  CHECK_THAT(text, Catch::Contains("shared by every config: median err +0.040 (predicted slow); each config's own: "
                                   "median |err - median err| 0.010"));
  CHECK_THAT(text, Catch::Contains("most of the error is shared"));
  // -0.1 0 +0.1: nothing shared (median 0), own 0.1: no such line.
  validate::ValidationResult centred;
  centred.rows = rows_with({-0.1, 0.0, 0.1});
  centred.summary = validate::summarize(centred.rows);
  const auto plain = validate::to_text(centred);
  CHECK_THAT(plain, Catch::Contains("median |err - median err| 0.100"));
  CHECK_THAT(plain, !Catch::Contains("most of the error is shared"));
}
