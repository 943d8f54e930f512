#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "test_files.hpp"

using switchsim::test::run_cli;

namespace {
using switchsim::test::fresh_dir;
using switchsim::test::slurp;

// A small search on one DGX: 8 and 16 experts, two capacity factors, top-1, tp 1..8.
std::string small_search(const std::string& cluster = "dgx-h100-8", const std::string& batch_tokens = "8192") {
  return "advise --family switch-base --cluster " + cluster + " --batch-tokens " + batch_tokens +
         " --min-experts 8 --max-experts 16 --capacity-factor 1.0,2.0 --top-k 1 --quiet";
}

nlohmann::json fat_tree(double oversubscription) {
  return {{"name", "ft"},
          {"type", "cluster"},
          {"device", "h100-sxm"},
          {"devices", 32},
          {"topology",
           {{"kind", "fat_tree"},
            {"nodes", 4},
            {"endpoints_per_node", 8},
            {"intra_node", {{"bandwidth_GBps", 450}, {"latency_us", 0.5}}},
            {"nic_bandwidth_Gbps", 400},
            {"nic_latency_us", 1.0},
            {"nodes_per_leaf", 1},
            {"oversubscription", oversubscription},
            {"switch_latency_us", 1.0}}}};
}
}  // namespace

TEST_CASE("advise prints the frontier and three recommendations and writes advice.json, .md and .html") {
  const auto dir = fresh_dir("out");
  const auto r = run_cli(small_search() + " --threads 2 --out " + dir.string());
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("Pareto frontier"));
  CHECK_THAT(r.out, Catch::Contains("Fastest step:"));
  CHECK_THAT(r.out, Catch::Contains("Best estimated time to quality:"));
  CHECK_THAT(r.out, Catch::Contains("all-to-all is"));
  const auto doc = nlohmann::json::parse(slurp(dir / "advice.json"));
  REQUIRE(doc["recommendations"].size() == 3);
  CHECK(doc["recommendations"][0]["goal"] == "fastest_step");
  CHECK(!doc["frontier"].empty());
  CHECK(doc["points"].size() > doc["frontier"].size());
  CHECK(std::filesystem::exists(dir / "advice.md"));
  CHECK_THAT(slurp(dir / "advice.html"), Catch::Contains("<table"));
  // Same inputs on one thread: byte-identical advice.
  const auto dir1 = fresh_dir("out1");
  REQUIRE(run_cli(small_search() + " --threads 1 --out " + dir1.string()).exit_code == 0);
  CHECK(slurp(dir / "advice.json") == slurp(dir1 / "advice.json"));
}

TEST_CASE("advise with a malformed sample-efficiency file exits 2 with one line naming the pointer") {
  const auto dir = fresh_dir("bad_se");
  auto se = nlohmann::json::parse(slurp(switchsim::test::source_path("models/sample-efficiency/switch-base.json")));
  se["points"][0]["speedup"] = -1;
  std::ofstream(dir / "se.json") << se.dump();
  const auto r = run_cli(small_search() + " --sample-efficiency " + (dir / "se.json").string());
  CHECK(r.exit_code == 2);
  CHECK(switchsim::test::count_lines(r.err) == 1);
  CHECK_THAT(r.err, Catch::Contains("/points/0/speedup"));
}

TEST_CASE("advise exits 2 with one line when no point fits: batch splits over no layout, or every point is out of memory") {
  const auto bad_batch = run_cli(small_search("dgx-h100-8", "1000"));
  CHECK(bad_batch.exit_code == 2);
  CHECK(switchsim::test::count_lines(bad_batch.err) == 1);
  CHECK_THAT(bad_batch.err, Catch::Contains("no feasible configuration") && Catch::Contains("invalid"));

  const auto dir = fresh_dir("oom");
  auto device = nlohmann::json::parse(slurp(switchsim::test::source_path("hardware/h100-sxm.json")));
  device["memory_GiB"] = 0.25;
  std::ofstream(dir / "tiny.json") << device.dump();
  auto cluster = nlohmann::json::parse(slurp(switchsim::test::source_path("hardware/dgx-h100-8.json")));
  cluster["device"] = (dir / "tiny.json").string();
  std::ofstream(dir / "tiny-dgx.json") << cluster.dump();
  const auto oom = run_cli(small_search((dir / "tiny-dgx.json").string()));
  CHECK(oom.exit_code == 2);
  CHECK(switchsim::test::count_lines(oom.err) == 1);
  CHECK_THAT(oom.err, Catch::Contains("out of memory"));

  const auto partial_node = run_cli("advise --family switch-base --cluster h100-fat-tree-1024 --devices 12 --quiet");
  CHECK(partial_node.exit_code == 2);
  CHECK(switchsim::test::count_lines(partial_node.err) == 1);

  const auto family = run_cli("advise --family no-such-family --cluster dgx-h100-8 --quiet");
  CHECK(family.exit_code == 2);
  CHECK(switchsim::test::count_lines(family.err) == 1);
}

TEST_CASE("on a 4:1 oversubscribed fat tree (flow network) the all-to-all share grows and time to quality picks fewer experts") {
  const auto dir = fresh_dir("oversub");
  std::ofstream(dir / "ft1.json") << fat_tree(1.0).dump();
  std::ofstream(dir / "ft4.json") << fat_tree(4.0).dump();
  auto advise = [&](const std::string& file, const std::string& out) {
    const auto r = run_cli("advise --family switch-base --cluster " + (dir / file).string() +
                           " --network flow --batch-tokens 32768 --min-experts 8 --max-experts 256 "
                           "--capacity-factor 1.25 --top-k 1 --quiet --threads 2 --out " + (dir / out).string());
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(slurp(dir / out / "advice.json"));
  };
  const auto a = advise("ft1.json", "a");
  const auto b = advise("ft4.json", "b");
  const auto& fa = a["recommendations"][0]["point"];
  const auto& fb = b["recommendations"][0]["point"];
  CHECK(fb["alltoall_share_frac"].get<double>() > fa["alltoall_share_frac"].get<double>());
  const auto& ta = a["recommendations"][2]["point"];
  const auto& tb = b["recommendations"][2]["point"];
  // 4:1: the spine makes many experts' all-to-all dearer, so never more experts than
  // non-blocking. (Before the step co-simulated its collectives, the non-blocking tree picked
  // 128; with the gradient all-reduce on its own stream sharing links with the all-to-alls,
  // docs/modelling.md "Co-simulation", both pick 64.)
  CHECK(tb["experts"].get<int>() <= ta["experts"].get<int>());
  CHECK(tb["estimated_time_to_quality_s"].get<double>() > ta["estimated_time_to_quality_s"].get<double>());
}

TEST_CASE("advise switch-base on one DGX H100 recommends gradient accumulation that leaves the headroom asked free") {
  const auto dir = fresh_dir("dgx_fits");
  for (const char* headroom : {"0.1", "0.3"}) {
    const auto out = dir / headroom;
    const auto r = run_cli("advise --family switch-base --cluster dgx-h100-8 --min-experts 64 --max-experts 128 "
                           "--capacity-factor 1.25 --top-k 1 --quiet --threads 2 --memory-headroom " +
                           std::string(headroom) + " --out " + out.string());
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(slurp(out / "advice.json"));
    const double free = std::stod(headroom);
    for (const auto& rec : doc["recommendations"]) {
      if (rec["point"].is_null()) continue;
      const auto& p = rec["point"];
      CHECK(p["microbatches"].get<int>() > 1);  // 2^20 tokens do not fit 8 H100s in one microbatch
      CHECK(p["memory_used_bytes"].get<double>() <= (1 - free) * 80.0 * 1024 * 1024 * 1024);
      CHECK(p["memory_capacity_bytes"].get<double>() == 80.0 * 1024 * 1024 * 1024);
    }
    CHECK_THAT(slurp(out / "advice.md"), Catch::Contains("Why not the neighbours of") && Catch::Contains("microbatches"));
  }
}

TEST_CASE("advise with nothing that fits prints what it would take with the closest point's memory, then one error line") {
  const auto dir = fresh_dir("what_it_takes");
  auto device = nlohmann::json::parse(slurp(switchsim::test::source_path("hardware/h100-sxm.json")));
  device["memory_GiB"] = 4;
  std::ofstream(dir / "small.json") << device.dump();
  auto cluster = nlohmann::json::parse(slurp(switchsim::test::source_path("hardware/dgx-h100-8.json")));
  cluster["device"] = (dir / "small.json").string();
  std::ofstream(dir / "small-dgx.json") << cluster.dump();
  const auto r = run_cli("advise --family switch-base --cluster " + (dir / "small-dgx.json").string() +
                         " --batch-tokens 16384 --min-experts 128 --max-experts 256 --capacity-factor 1.0 --top-k 1 "
                         "--quiet --out " + (dir / "out").string());
  CHECK(r.exit_code == 2);
  CHECK(switchsim::test::count_lines(r.err) == 1);
  CHECK_THAT(r.err, Catch::Contains("no feasible configuration") && Catch::Contains("the closest point"));
  CHECK_THAT(r.out, Catch::Contains("What it would take") && Catch::Contains("weights") &&
                        Catch::Contains("gradients") && Catch::Contains("optimizer states") &&
                        Catch::Contains("activations") && Catch::Contains("all-to-all buffers") &&
                        Catch::Contains("The smallest change that fits"));
  CHECK_FALSE(std::filesystem::exists(dir / "out" / "advice.json"));  // nothing written on failure
}

TEST_CASE("advise searches a global batch range and marks time to quality away from the curve's batch as extrapolated") {
  const auto dir = fresh_dir("batches");
  const auto r = run_cli("advise --family switch-base --cluster dgx-h100-8 --batch-tokens 262144:1048576 "
                         "--min-experts 16 --max-experts 16 --capacity-factor 1.25 --top-k 1 --quiet --threads 2 --out " +
                         dir.string());
  REQUIRE(r.exit_code == 0);
  const auto doc = nlohmann::json::parse(slurp(dir / "advice.json"));
  std::set<std::int64_t> batches;
  for (const auto& p : doc["points"]) {
    batches.insert(p["batch_tokens"].get<std::int64_t>());
    if (p.contains("time_to_quality_extrapolated"))
      CHECK(p["time_to_quality_extrapolated"].get<bool>() == (p["batch_tokens"].get<std::int64_t>() != 1048576));
  }
  CHECK(batches == std::set<std::int64_t>{262144, 524288, 1048576});
  CHECK(run_cli("advise --family switch-base --cluster dgx-h100-8 --microbatches 0 --quiet").exit_code == 2);
  CHECK(run_cli("advise --family switch-base --cluster dgx-h100-8 --batch-tokens 8:4 --quiet").exit_code == 2);
}
