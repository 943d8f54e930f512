#include <catch2/catch.hpp>

#include "comm/closed_form.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "advise/pareto.hpp"
#include "cli_runner.hpp"
#include "advise/recommend.hpp"
#include "advise/sample_efficiency.hpp"
#include "advise/search.hpp"
#include "config/catalog.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "model/comm_model.hpp"

using namespace switchsim;

namespace {

config::Catalog catalog() { return config::Catalog(SWITCHSIM_SOURCE_DIR); }

std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("switchsim_advise_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string write_json(const std::filesystem::path& path, const nlohmann::json& j) {
  std::ofstream(path) << j.dump(2);
  return path.string();
}

// A cluster of `nodes` x 8 H100s on a non-rail fat tree, one node per leaf (all inter-node
// traffic crosses the spine), with the given NIC bandwidth and oversubscription.
nlohmann::json fat_tree_cluster(const std::string& name, int nodes, double nic_Gbps, double oversubscription) {
  return {{"name", name},
          {"type", "cluster"},
          {"device", "h100-sxm"},
          {"devices", nodes * 8},
          {"topology",
           {{"kind", "fat_tree"},
            {"nodes", nodes},
            {"endpoints_per_node", 8},
            {"intra_node", {{"bandwidth_GBps", 450}, {"latency_us", 0.5}}},
            {"nic_bandwidth_Gbps", nic_Gbps},
            {"nic_latency_us", 1.0},
            {"nodes_per_leaf", 1},
            {"oversubscription", oversubscription},
            {"switch_latency_us", 1.0}}}};
}

// The CLI's closed-form choice for a multi-node fat tree: NIC bandwidth and four hops of latency.
std::unique_ptr<model::CommModel> closed_form(const config::ClusterConfig& cluster) {
  const auto& f = std::get<config::FatTreeSpec>(cluster.topology);
  return std::make_unique<comm::ClosedFormComm>(f.nic.bandwidth, f.nic.latency * 2 + f.switch_latency * 2);
}

advise::SampleEfficiency shipped_efficiency() {
  return advise::load_sample_efficiency(switchsim::test::source_path("models/sample-efficiency/switch-base.json"));
}

}  // namespace

TEST_CASE("the Pareto frontier keeps exactly the points no other point beats on all three objectives") {
  using advise::Objectives;
  const std::vector<Objectives> points{
      {1.0, 100, 0.5},  // 0: beaten by 3 (same time and params, more headroom)
      {2.0, 200, 0.5},  // 1: most params at 2 s
      {2.5, 150, 0.4},  // 2: beaten by 1 on all three
      {1.0, 100, 0.6},  // 3: fastest with the most headroom at that speed
      {3.0, 200, 0.7},  // 4: slower than 1 but more headroom
      {2.0, 200, 0.5},  // 5: identical to 1; neither dominates the other
  };
  CHECK(advise::pareto_frontier(points) == std::vector<std::size_t>{1, 3, 4, 5});
  CHECK(advise::dominates(points[3], points[0]));
  CHECK_FALSE(advise::dominates(points[1], points[5]));
  CHECK_FALSE(advise::dominates(points[4], points[1]));
}

TEST_CASE("sample efficiency is the paper's 7.5x at 64 experts and interpolates in log2(experts) between counts") {
  const auto se = shipped_efficiency();
  CHECK(se.dense_steps == 450000);
  CHECK(*se.steps_to_quality(64, 1) == Approx(60000));
  // 48 experts: between 32 (6.3x) and 64 (7.5x), at log2(48) - 5 = 0.58496 of the way.
  CHECK(*se.speedup(48, 1) == Approx(6.3 + (std::log2(48.0) - 5.0) * 1.2));
  CHECK(*se.speedup(48, 1) == Approx(7.00195).epsilon(1e-5));
  CHECK_FALSE(se.speedup(512, 1).has_value());  // no extrapolation
  CHECK(se.speedup(64, 2) == se.speedup(64, 1));  // the file's stated top-2 assumption
}

TEST_CASE("a malformed sample-efficiency file is a ConfigError naming the file and the JSON pointer") {
  auto doc = config::load_json_file(switchsim::test::source_path("models/sample-efficiency/switch-base.json"));
  auto bad = doc;
  bad["points"][1]["speedup"] = 0;
  try {
    advise::parse_sample_efficiency(bad, "se.json");
    FAIL("expected a ConfigError");
  } catch (const config::ConfigError& e) {
    CHECK(e.file() == "se.json");
    CHECK(e.location() == "/points/1/speedup");
  }
  auto unknown = doc;
  unknown["speedups"] = 1;
  CHECK_THROWS_WITH(advise::parse_sample_efficiency(unknown, "se.json"), Catch::Contains("/speedups"));
  auto unsorted = doc;
  std::swap(unsorted["points"][2], unsorted["points"][3]);
  CHECK_THROWS_AS(advise::parse_sample_efficiency(unsorted, "se.json"), config::ConfigError);
  auto excluded = doc;
  excluded["top_k_2"] = "exclude";
  CHECK_FALSE(advise::parse_sample_efficiency(excluded, "se.json").speedup(64, 2).has_value());
}

TEST_CASE("layouts: tp divides a node, ep is a power of two dividing dp and the expert count") {
  // 32 devices, 8 a node, 16 experts: tp=1 (dp 32): ep 16,8,4,2,1; tp=2 (dp 16): 16,8,4,2,1;
  // tp=4 (dp 8): 8,4,2,1; tp=8 (dp 4): 4,2,1.
  const auto layouts = advise::candidate_layouts(32, 8, 16);
  REQUIRE(layouts.size() == 17);
  CHECK(layouts.front().text() == "dp=32,tp=1,ep=16");
  CHECK(layouts.back().text() == "dp=4,tp=8,ep=1");
  // A node of 2 devices allows tp 1 and 2 only.
  CHECK(advise::candidate_layouts(4, 2, 2).size() == 2 + 2);
}

TEST_CASE("on 8 GPUs every feasible point is either on the frontier or beaten by a frontier point") {
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = "dgx-h100-8";
  spec.batch_tokens = 8 * 512 * 2;
  spec.experts = {8, 16, 32};
  spec.capacity_factors = {1.0, 2.0};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  const auto se = shipped_efficiency();
  auto comm = [](const config::ClusterConfig&) {
    return std::make_unique<comm::ClosedFormComm>(BytesPerSecond::gigabytes(450), Picoseconds(1'000'000));
  };
  auto candidates = advise::search(spec, advise::Limits{1.0, 0.0}, &se, catalog(), comm, 1, {});
  // experts 8: ep 8,4,2,1; 16: ep 8,4,2,1; 32: ep 8,4,2,1 -> 12 layouts x 2 cfs.
  REQUIRE(candidates.size() == 24);
  const auto advice = advise::recommend(candidates, std::nullopt, &se, spec.routing);
  REQUIRE(!advice.frontier.empty());
  for (const auto& c : advice.candidates) {
    if (!c.feasible()) continue;
    const advise::Objectives oc{c.step_time_s, static_cast<double>(c.params), c.headroom_frac};
    bool on_front = false, beaten = false;
    for (auto f : advice.frontier) {
      const auto& p = advice.candidates[f];
      on_front = on_front || &p == &c;
      beaten = beaten || advise::dominates({p.step_time_s, static_cast<double>(p.params), p.headroom_frac}, oc);
    }
    CHECK(on_front != beaten);
  }
  // The most-parameters goal with no step limit picks 32 experts (the most parameters searched).
  const auto unlimited = advise::recommend(candidates, 1e9, &se, spec.routing);
  REQUIRE(unlimited.recommendations[1].pick);
  CHECK(unlimited.candidates[*unlimited.recommendations[1].pick].experts == 32);
  // Time to quality is steps x step time for the pick.
  const auto& ttq = advice.candidates[*advice.recommendations[2].pick];
  CHECK(*ttq.time_to_quality_s == Approx(*se.steps_to_quality(ttq.experts, 1) * ttq.step_time_s));
}

TEST_CASE("a slower NIC (closed-form network) makes the all-to-all a larger share and time to quality longer, never with more experts") {
  const auto dir = fresh_dir("slow");
  const auto fast = write_json(dir / "fast.json", fat_tree_cluster("fast", 4, 400, 1.0));
  const auto slow = write_json(dir / "slow.json", fat_tree_cluster("slow", 4, 25, 1.0));
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.batch_tokens = 32 * 512 * 2;
  spec.experts = {32, 64, 128, 256};
  spec.capacity_factors = {1.25};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  const auto se = shipped_efficiency();
  auto run = [&](const std::string& cluster) {
    spec.cluster = cluster;
    return advise::recommend(advise::search(spec, advise::Limits{1.0, 0.1}, &se, catalog(), closed_form, 2, {}),
                             std::nullopt, &se, spec.routing);
  };
  const auto a = run(fast);
  const auto b = run(slow);
  const auto& fa = a.candidates[*a.recommendations[0].pick];
  const auto& fb = b.candidates[*b.recommendations[0].pick];
  CHECK(fb.alltoall_share > fa.alltoall_share);
  const auto& ta = a.candidates[*a.recommendations[2].pick];
  const auto& tb = b.candidates[*b.recommendations[2].pick];
  // The closed form charges every all-to-all at NIC speed whatever the expert count, so it
  // cannot favour fewer experts strictly (the flow-network CLI test shows that); it must not
  // favour more.
  CHECK(tb.experts <= ta.experts);
  CHECK(*tb.time_to_quality_s > *ta.time_to_quality_s);
}

TEST_CASE("less device memory makes the most-parameters recommendation smaller") {
  const auto dir = fresh_dir("memory");
  auto device = config::load_json_file(switchsim::test::source_path("hardware/h100-sxm.json"));
  device["name"] = "h100-small";
  device["memory_GiB"] = 8;
  const auto device_path = write_json(dir / "h100-small.json", device);
  auto small = config::load_json_file(switchsim::test::source_path("hardware/dgx-h100-8.json"));
  small["name"] = "dgx-small";
  small["device"] = device_path;
  const auto small_path = write_json(dir / "dgx-small.json", small);
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.batch_tokens = 8 * 512 * 2;
  spec.experts = {8, 32, 128, 256};
  spec.capacity_factors = {1.25};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  auto comm = [](const config::ClusterConfig&) {
    return std::make_unique<comm::ClosedFormComm>(BytesPerSecond::gigabytes(450), Picoseconds(1'000'000));
  };
  auto most_params = [&](const std::string& cluster) {
    spec.cluster = cluster;
    const auto advice = advise::recommend(advise::search(spec, advise::Limits{1.0, 0.1}, nullptr, catalog(), comm, 2, {}),
                                          1e9, nullptr, spec.routing);
    return advice.candidates[*advice.recommendations[1].pick];
  };
  const auto big = most_params("dgx-h100-8");
  const auto little = most_params(small_path);
  CHECK(big.experts == 256);
  CHECK(little.params < big.params);
  CHECK(little.memory_used_bytes <= 0.9 * 8 * 1024.0 * 1024 * 1024);
}

TEST_CASE("a --devices count cuts a fat tree to whole nodes and an NVSwitch node to fewer endpoints") {
  const auto big = catalog().cluster("h100-fat-tree-1024");  // 128 nodes of 8, 32 nodes a leaf
  const auto cut = advise::first_devices(big, 64);
  const auto& f = std::get<config::FatTreeSpec>(cut.topology);
  CHECK(cut.devices == 64);
  CHECK(f.nodes == 8);
  CHECK(f.nodes_per_leaf == 8);  // 32 does not divide 8 nodes; the largest that does is 8
  CHECK(advise::devices_per_node(cut) == 8);
  const auto dgx = advise::first_devices(catalog().cluster("dgx-h100-8"), 4);
  CHECK(std::get<config::NvSwitchSpec>(dgx.topology).endpoints == 4);
  CHECK_THROWS_WITH(advise::first_devices(big, 12), Catch::Contains("whole nodes of 8"));
  CHECK_THROWS_AS(advise::first_devices(big, 2048), std::invalid_argument);
}
