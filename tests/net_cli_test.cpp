// Issue 17's command-line additions: `collective --matrix FILE`, `describe hardware X
// --routes SRC,DST`, and edge lists whose endpoints forward only when marked, with ECMP as
// an option of the topology.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "config/error.hpp"
#include "topology/build.hpp"
#include "test_files.hpp"

using namespace switchsim;
using switchsim::test::run_cli;

namespace {
std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("switchsim-net-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// a - b - c in a line, 10 GB/s and 1 us a link; b relays when `forwards`.
config::EdgeListSpec line(bool forwards) {
  config::EdgeListSpec s;
  s.nodes = {{"a", true, false}, {"b", true, forwards}, {"c", true, false}};
  const config::LinkSpec link{BytesPerSecond::gigabytes(10), Picoseconds(1'000'000)};
  s.edges = {{"a", "b", link, true}, {"b", "c", link, true}};
  return s;
}
}  // namespace

TEST_CASE("collective --matrix times an explicit alltoallv: two senders into one GPU drain its link") {
  // dgx-h100-8, ranks 0..2: rank 0 sends 900 MB and rank 2 450 MB to rank 1. Rank 1's
  // 450 GB/s downlink is shared: 225 GB/s each until rank 2's flow ends at 2 ms, then rank 0's
  // last 450 MB alone: 3 ms in all, + 1 us (two 0.5 us NVLink hops).
  const auto file = write_temp("m.json", R"({"bytes": [[0, 900000000, 0], [0, 0, 0], [0, 450000000, 0]]})");
  const auto r = run_cli("collective --cluster dgx-h100-8 --matrix " + file + " --json");
  REQUIRE(r.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["op"] == "alltoallv");
  CHECK(j["ranks"] == 3);
  CHECK(j["results"][0]["size_bytes"] == 900000000);
  CHECK(j["results"][0]["time_us"].get<double>() == Approx(3001.0).epsilon(1e-6));
}

TEST_CASE("a bad traffic matrix exits 2 with one line naming the file and the field") {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"bytes": [[0, 1], [2]]})", "/bytes/1"},
      {R"({"bytes": [[0, 1, -4], [0, 0, 0], [0, 0, 0]]})", "/bytes/0/2"},
      {R"({"bytes": [[0, 1.5], [0, 0]]})", "/bytes/0/1"},
      {R"({"rows": [[0]]})", "/rows"},
      {R"({"bytes": []})", "/bytes"}};
  int k = 0;
  for (const auto& [text, field] : cases) {
    const auto file = write_temp("bad" + std::to_string(k++) + ".json", text);
    const auto r = run_cli("collective --cluster dgx-h100-8 --op alltoallv --matrix " + file);
    INFO(text);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(switchsim::test::count_lines(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains(file + ": " + field));
  }
  const auto big = write_temp("big.json", R"({"bytes": [[0,1,1,1,1,1,1,1,1],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0],[0,0,0,0,0,0,0,0,0]]})");
  const auto r = run_cli("collective --cluster dgx-h100-8 --matrix " + big);
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("--matrix"));
  CHECK(run_cli("collective --cluster dgx-h100-8 --matrix " + big + " --bytes 1M").exit_code == 2);
}

TEST_CASE("describe hardware --routes prints the six links between GPUs in different pods of the 16,384-GPU SuperPOD") {
  const auto r = run_cli("describe hardware h100-fat-tree-16384 --routes 0,16383");
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("1 path"));
  CHECK_THAT(r.out, Catch::Contains("n0.gpu0 -[nic 50 GB/s]-> leaf.rail0.0 -[leaf-spine"));
  CHECK_THAT(r.out, Catch::Contains("-> core -[spine-core"));
  CHECK_THAT(r.out, Catch::Contains("-> n2047.gpu7"));
  CHECK_THAT(r.out, Catch::Contains("latency_us 6.000"));
  for (const char* bad : {"describe hardware dgx-h100-8 --routes 0", "describe hardware dgx-h100-8 --routes 0,8",
                          "describe hardware h100-sxm --routes 0,1"}) {
    const auto b = run_cli(bad);
    INFO(bad);
    CHECK(b.exit_code == 2);
    CHECK(switchsim::test::count_lines(b.err) == 1);
  }
}

TEST_CASE("edge-list endpoints do not forward unless marked, and an unreachable pair names the field to fix") {
  try {
    topology::build_topology(config::TopologySpec{line(false)}, "line.json");
    FAIL("a line through a non-forwarding endpoint was accepted");
  } catch (const config::ConfigError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("line.json: /topology/nodes: endpoint \"c\" cannot reach endpoint \"a\""));
  }
  const auto t = topology::build_topology(config::TopologySpec{line(true)}, "line.json");
  CHECK(t.route(0, 2).path_count == 1);
  CHECK(t.path(t.route(0, 2).first_path).link_count == 2);
}

TEST_CASE("ECMP is an option of an edge-list topology: a diamond splits a flow in two halves") {
  config::EdgeListSpec s;
  s.nodes = {{"a", true, false}, {"b", false, false}, {"c", false, false}, {"d", true, false}};
  const config::LinkSpec link{BytesPerSecond::gigabytes(10), Picoseconds(1'000'000)};
  s.edges = {{"a", "b", link, true}, {"a", "c", link, true}, {"b", "d", link, true}, {"c", "d", link, true}};
  CHECK(topology::build_topology(config::TopologySpec{s}, "d.json").route(0, 1).path_count == 1);
  s.ecmp = true;
  const auto t = topology::build_topology(config::TopologySpec{s}, "d.json");
  REQUIRE(t.route(0, 1).path_count == 2);
  CHECK(t.path(t.route(0, 1).first_path).fraction == 0.5);
  // And it round-trips through JSON.
  CHECK(config::to_json(config::TopologySpec{s})["ecmp"] == true);
}
