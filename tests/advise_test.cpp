#include <catch2/catch.hpp>

#include "comm/closed_form.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "advise/memory_bound.hpp"
#include "advise/pareto.hpp"
#include "cli_runner.hpp"
#include "advise/recommend.hpp"
#include "advise/sample_efficiency.hpp"
#include "advise/search.hpp"
#include "advise/what_it_would_take.hpp"
#include "config/catalog.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "model/comm_model.hpp"
#include "model/simulate.hpp"
#include "sweep/dense_baseline.hpp"
#include "test_files.hpp"

using namespace switchsim;

namespace {

using switchsim::test::catalog;
using switchsim::test::fresh_dir;


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
  spec.batch_tokens = {8 * 512 * 2};
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
  const auto advice = advise::recommend(candidates, std::nullopt, &se, spec.routing, advise::Limits{1.0, 0.0});
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
  const auto unlimited = advise::recommend(candidates, 1e9, &se, spec.routing, advise::Limits{1.0, 0.0});
  REQUIRE(unlimited.recommendations[1].pick);
  CHECK(unlimited.candidates[*unlimited.recommendations[1].pick].experts == 32);
  // Time to quality is steps x step time for the pick; at 8192 tokens a step, 1/128 of the file's
  // 2^20, the steps to the same tokens are 128x the file's (an extrapolation, and marked so).
  const auto& ttq = advice.candidates[*advice.recommendations[2].pick];
  CHECK(*ttq.time_to_quality_s == Approx(128 * *se.steps_to_quality(ttq.experts, 1) * ttq.step_time_s));
  CHECK(ttq.time_to_quality_extrapolated);
}

TEST_CASE("a slower NIC (closed-form network) makes the all-to-all a larger share and time to quality longer, never with more experts") {
  const auto dir = fresh_dir("slow");
  const auto fast = write_json(dir / "fast.json", fat_tree_cluster("fast", 4, 400, 1.0));
  const auto slow = write_json(dir / "slow.json", fat_tree_cluster("slow", 4, 25, 1.0));
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.batch_tokens = {32 * 512 * 2};
  spec.experts = {32, 64, 128, 256};
  spec.capacity_factors = {1.25};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  const auto se = shipped_efficiency();
  auto run = [&](const std::string& cluster) {
    spec.cluster = cluster;
    return advise::recommend(advise::search(spec, advise::Limits{1.0, 0.1}, &se, catalog(), closed_form, 2, {}),
                             std::nullopt, &se, spec.routing, advise::Limits{1.0, 0.1});
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
  spec.batch_tokens = {8 * 512 * 2};
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
                                          1e9, nullptr, spec.routing, advise::Limits{1.0, 0.1});
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

namespace {

std::unique_ptr<model::CommModel> nvlink(const config::ClusterConfig&) {
  return std::make_unique<comm::ClosedFormComm>(BytesPerSecond::gigabytes(450), Picoseconds(1'000'000));
}

// A copy of dgx-h100-8 whose H100s have `gib` GiB of memory; returns the cluster file.
std::string small_memory_dgx(const std::filesystem::path& dir, double gib) {
  auto device = config::load_json_file(switchsim::test::source_path("hardware/h100-sxm.json"));
  device["name"] = "h100-small";
  device["memory_GiB"] = gib;
  const auto device_path = write_json(dir / "h100-small.json", device);
  auto cluster = config::load_json_file(switchsim::test::source_path("hardware/dgx-h100-8.json"));
  cluster["name"] = "dgx-small";
  cluster["device"] = device_path;
  return write_json(dir / "dgx-small.json", cluster);
}

model::StepInputs inputs(const std::string& layout, std::int64_t experts, double cf, std::int64_t top_k,
                         std::int64_t batch, std::int64_t microbatches, const std::string& padding = "capacity",
                         const std::string& remat = "none", std::optional<std::string> dispatch = std::nullopt) {
  model::Scenario s;
  s.model = "switch-base-128";
  s.cluster = "dgx-h100-8";
  s.experts = experts;
  s.capacity_factor = cf;
  s.top_k = top_k;
  s.batch_tokens = batch;
  s.microbatches = microbatches;
  s.layout = layout;
  s.padding = padding;
  s.remat = remat;
  s.dispatch = dispatch;
  return model::make_inputs(s, catalog());
}

}  // namespace

TEST_CASE("memory computed before simulating equals the simulated memory with capacity padding and bounds it from below when dropless") {
  for (const auto& in : {inputs("dp=8,tp=1,ep=8", 64, 1.0, 1, 8 * 512 * 4, 1), inputs("dp=8,tp=1,ep=4", 32, 1.25, 2, 8 * 512 * 4, 2),
                         inputs("dp=4,tp=2,ep=4", 16, 2.0, 1, 4 * 512 * 8, 4),
                         inputs("dp=8,tp=1,ep=8", 64, 1.0, 1, 8 * 512 * 4, 1, "capacity", "full"),
                         inputs("dp=8,tp=1,ep=4", 32, 1.25, 1, 8 * 512 * 4, 2, "capacity", "attention", "einsum")}) {
    const auto before = advise::memory_before_simulating(in);
    const auto simulated = model::simulate_step(in, *nvlink(in.cluster)).memory;
    CHECK(before.exact);
    CHECK(before.memory.total() == simulated.total());
    CHECK(before.memory.activations == simulated.activations);
    CHECK(before.memory.alltoall_buffers == simulated.alltoall_buffers);
  }
  const auto dropless = inputs("dp=8,tp=1,ep=8", 64, 1.0, 1, 8 * 512 * 4, 1, "dropless");
  const auto bound = advise::memory_before_simulating(dropless);
  CHECK_FALSE(bound.exact);
  CHECK(bound.memory.total() <= model::simulate_step(dropless, *nvlink(dropless.cluster)).memory.total());
}

TEST_CASE("time to quality at another global batch scales the file's steps at constant tokens and is marked an extrapolation") {
  const auto se = shipped_efficiency();
  REQUIRE(se.batch_tokens == 1048576);  // 2^20, the paper's stated pre-training batch
  CHECK_FALSE(se.extrapolated(1048576));
  CHECK(se.extrapolated(524288));
  // 64 experts: 60k steps at 2^20 tokens; at 2^19 twice the steps, at 2^21 half.
  CHECK(*se.steps_to_quality(64, 1, 1 << 19) == Approx(120000));
  CHECK(*se.steps_to_quality(64, 1, 1 << 21) == Approx(30000));
  CHECK(*se.steps_to_quality(64, 1, 1 << 20) == Approx(60000));
}

TEST_CASE("switch-base on one DGX H100 fits with gradient accumulation: auto microbatches find a feasible point within the headroom") {
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = "dgx-h100-8";
  spec.experts = {64, 128};
  spec.capacity_factors = {1.25};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  // The default global batch, 2^20 tokens: 2048 sequences, 256 a device at one microbatch.
  const advise::Limits limits{0.01, 0.1};
  const auto se = shipped_efficiency();
  auto candidates = advise::search(spec, limits, &se, catalog(), nvlink, 2, {});
  const auto advice = advise::recommend(candidates, std::nullopt, &se, spec.routing, limits);
  const auto& pick = advice.candidates[*advice.recommendations[0].pick];
  const double hbm = 80.0 * 1024 * 1024 * 1024;  // H100 SXM
  CHECK(pick.memory_capacity_bytes == hbm);
  CHECK(pick.memory_used_bytes <= 0.9 * hbm);
  CHECK(pick.microbatches > 1);
  // The same point without gradient accumulation does not fit, and at half its microbatches
  // it is over the 90% allowed: auto took the fewest that fit.
  auto one = advise::inputs_of(pick, catalog());
  one.microbatches = 1;
  CHECK(static_cast<double>(advise::memory_before_simulating(one).memory.total().count()) > hbm);
  auto half = one;
  half.microbatches = pick.microbatches / 2;
  CHECK(static_cast<double>(advise::memory_before_simulating(half).memory.total().count()) > 0.9 * hbm);
  // The why-not table names the smaller microbatch count with its memory.
  bool named = false;
  for (const auto& n : advice.recommendations[0].neighbours)
    named = named || (n.axis == "microbatches" && n.value == std::to_string(pick.microbatches / 2) &&
                      n.why_not.find("over the") != std::string::npos);
  CHECK(named);
}

TEST_CASE("points whose memory exceeds the allowed are rejected before simulating, and simulating them confirms it") {
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = "dgx-h100-8";
  spec.experts = {64};
  spec.capacity_factors = {1.0};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  spec.microbatches = {1, 64};  // 1: 256 sequences a device (out of memory); 64: 4 a device
  const advise::Limits limits{1.0, 0.1};
  const auto candidates = advise::search(spec, limits, nullptr, catalog(), nvlink, 1, {});
  std::size_t before = 0, simulated = 0;
  for (const auto& c : candidates) {
    if (c.memory_before_simulating) {
      ++before;
      CHECK_FALSE(c.simulated);
      CHECK(c.microbatches == 1);
      const auto in = advise::inputs_of(c, catalog());
      CHECK(static_cast<double>(model::simulate_step(in, *nvlink(in.cluster)).memory.total().count()) >
            0.9 * c.memory_capacity_bytes);
    }
    simulated += c.simulated ? 1 : 0;
  }
  // ep 8, 4, 2, 1 for 64 experts on 8 devices, two microbatch counts each.
  CHECK(candidates.size() == 8);
  CHECK(before == 4);
  CHECK(simulated == 4);
}

TEST_CASE("when no searched point fits, what it would take names the closest point's memory per component and the smallest change") {
  const auto dir = fresh_dir("what_it_takes");
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = small_memory_dgx(dir, 16);
  spec.experts = {128};
  spec.capacity_factors = {1.0};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  spec.batch_tokens = {8 * 512 * 16};  // 16 sequences a device
  spec.microbatches = {1};
  const advise::Limits limits{1.0, 0.1};
  const auto candidates = advise::search(spec, limits, nullptr, catalog(), nvlink, 1, {});
  REQUIRE_THROWS_AS(advise::recommend(candidates, std::nullopt, nullptr, spec.routing, limits), advise::NoFeasiblePoint);
  const auto w = advise::what_it_would_take(candidates, limits, catalog(), {});
  REQUIRE(w);
  const auto& p = candidates[w->closest];
  // 128 experts over ep=8 (16 a device) is the least memory of the four layouts searched.
  CHECK(p.layout == "dp=8,tp=1,ep=8");
  const double allowed = 0.9 * 16 * 1024.0 * 1024 * 1024;
  CHECK(w->allowed_bytes == Approx(allowed));
  CHECK(p.memory_used_bytes > allowed);
  // The breakdown: bf16 weights + fp32 masters = 6 bytes a local parameter, fp32 gradients 4,
  // and the five components add up to the total.
  CHECK(p.memory.weights.count() == 6 * p.memory.params_local);
  CHECK(p.memory.gradients.count() == 4 * p.memory.params_local);
  const auto parts = advise::memory_components(p.memory);
  REQUIRE(parts.size() == 6);
  CHECK(parts[0].second + parts[1].second + parts[2].second + parts[3].second + parts[4].second == parts[5].second);
  // The smallest change is more microbatches: the fewest that fit, and half of them do not.
  REQUIRE(w->smallest);
  const auto& change = w->changes[*w->smallest];
  CHECK(change.lever == "microbatches");
  CHECK(change.fits);
  CHECK(static_cast<double>(change.memory.total().count()) <= allowed);
  auto in = advise::inputs_of(p, catalog());
  std::int64_t m = 0;
  REQUIRE(std::sscanf(change.what.c_str(), "%ld microbatches", &m) == 1);
  in.microbatches = m;
  CHECK(advise::memory_before_simulating(in).memory.total() == change.memory.total());
  in.microbatches = m / 2;
  CHECK(static_cast<double>(advise::memory_before_simulating(in).memory.total().count()) > allowed);
  CHECK_THAT(advise::what_it_would_take_text(*w, candidates),
             Catch::Contains("weights") && Catch::Contains("gradients") && Catch::Contains("optimizer states") &&
                 Catch::Contains("activations") && Catch::Contains("all-to-all buffers"));
}

TEST_CASE("when the weights alone do not fit, more microbatches cannot help and the answer is fewer experts a device or more devices") {
  const auto dir = fresh_dir("weights_too_big");
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = small_memory_dgx(dir, 4);
  spec.experts = {128};
  spec.capacity_factors = {1.0};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  spec.batch_tokens = {8 * 512 * 4};
  const advise::Limits limits{1.0, 0.1};
  const auto candidates = advise::search(spec, limits, nullptr, catalog(), nvlink, 1, {});
  const auto w = advise::what_it_would_take(candidates, limits, catalog(), {});
  REQUIRE(w);
  const auto& p = candidates[w->closest];
  // 16 experts a device: weights + gradients + optimizer alone exceed 90% of 4 GiB.
  const double allowed = 0.9 * 4 * 1024.0 * 1024 * 1024;
  CHECK(static_cast<double>((p.memory.weights + p.memory.gradients + p.memory.optimizer_states).count()) > allowed);
  CHECK_FALSE(w->changes[0].fits);  // microbatches
  REQUIRE(w->smallest);
  CHECK(w->changes[*w->smallest].lever != "microbatches");
  CHECK(static_cast<double>(w->changes[*w->smallest].memory.total().count()) <= allowed);
}

TEST_CASE("with one microbatch, switch-base fits one DGX H100 only by rematerialization, and advise picks a remat policy") {
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = "dgx-h100-8";
  spec.experts = {64};
  spec.capacity_factors = {1.25};
  spec.top_ks = {1};
  spec.tensor_parallel = {1};
  spec.microbatches = {1};
  spec.remat = {"none", "full"};
  const advise::Limits limits{0.01, 0.1};
  const auto candidates = advise::search(spec, limits, nullptr, catalog(), nvlink, 2, {});
  const auto advice = advise::recommend(candidates, std::nullopt, nullptr, spec.routing, limits);
  const auto& pick = advice.candidates[*advice.recommendations[0].pick];
  CHECK(pick.remat == "full");
  CHECK(pick.microbatches == 1);
  CHECK(pick.memory_used_bytes <= 0.9 * 80.0 * 1024 * 1024 * 1024);
  for (const auto& c : candidates)
    if (c.remat == "none") CHECK(c.rejected_kind == "out of memory");
}

TEST_CASE("a cached dense baseline equals simulating its dense point afresh, and points differing in remat or microbatches get their own") {
  // Sparse points that share everything the old key held (model, cluster, batch, tp) but differ
  // in what the dense point also depends on: remat, microbatches, dispatch.
  std::vector<std::pair<model::Scenario, model::StepInputs>> points;
  for (const std::string remat : {"none", "full"})
    for (std::int64_t microbatches : {1, 2})
      for (const std::string dispatch : {"scatter", "einsum"}) {
        model::Scenario s;
        s.model = "switch-base-128";
        s.cluster = "dgx-h100-8";
        s.experts = 8;
        s.top_k = 1;
        s.batch_tokens = 8 * 512 * 4;
        s.microbatches = microbatches;
        s.layout = "dp=8,tp=1,ep=8";
        s.remat = remat;
        s.dispatch = dispatch;
        points.emplace_back(s, model::make_inputs(s, catalog()));
      }
  const auto cat = catalog();
  auto comm = nvlink(points.front().second.cluster);
  auto fresh = [&](const model::StepInputs& in, const model::Scenario& s) {
    const auto dense = sweep::dense_baseline_scenario(in, s);
    REQUIRE(dense);
    CHECK(dense->model == "t5-base");
    return model::simulate_step(model::make_inputs(*dense, cat), *comm).step_time.seconds();
  };
  sweep::DenseBaselines cache(cat);
  std::map<std::string, double> by_options;
  // Twice over, the second time in reverse order: every answer comes from the cache then.
  for (int round = 0; round < 2; ++round)
    for (std::size_t k = 0; k < points.size(); ++k) {
      const auto& [s, in] = points[round == 0 ? k : points.size() - 1 - k];
      const auto cached = cache.step_time_s(in, s, *comm);
      REQUIRE(cached);
      CHECK(*cached == fresh(in, s));
      by_options[s.remat + "/" + std::to_string(s.microbatches) + "/" + *s.dispatch] = *cached;
    }
  // Full remat recomputes the forward pass: a longer dense step than none, at any microbatches.
  for (const std::string mb : {"1", "2"}) CHECK(by_options["full/" + mb + "/scatter"] > by_options["none/" + mb + "/scatter"]);
  CHECK(by_options["none/1/scatter"] != by_options["none/2/scatter"]);
  // A model without a dense baseline has none.
  model::Scenario dense_model;
  dense_model.model = "t5-base";
  dense_model.cluster = "dgx-h100-8";
  dense_model.batch_tokens = 8 * 512 * 4;
  CHECK_FALSE(cache.step_time_s(model::make_inputs(dense_model, cat), dense_model, *comm));
}

TEST_CASE("advise's dense baselines, reused across points and threads, equal each point's dense point simulated afresh") {
  advise::SearchSpec spec;
  spec.model = "switch-base-128";
  spec.cluster = "dgx-h100-8";
  spec.experts = {8, 16};
  spec.capacity_factors = {1.0, 2.0};
  spec.top_ks = {1};
  spec.tensor_parallel = {1, 2};
  spec.batch_tokens = {8 * 512 * 4};
  spec.remat = {"none", "full"};
  const auto cat = catalog();
  const auto candidates = advise::search(spec, advise::Limits{}, nullptr, cat, nvlink, 2, {});
  auto comm = nvlink(cat.cluster("dgx-h100-8"));
  std::size_t checked = 0;
  for (const auto& c : candidates) {
    if (!c.simulated) continue;
    const auto dense = sweep::dense_baseline_scenario(advise::inputs_of(c, cat), c.scenario);
    REQUIRE(dense);
    REQUIRE(c.dense_step_time_s);
    CHECK(*c.dense_step_time_s == model::simulate_step(model::make_inputs(*dense, cat), *comm).step_time.seconds());
    ++checked;
  }
  CHECK(checked >= 8);
}
