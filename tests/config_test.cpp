#include <catch2/catch.hpp>

#include "config/catalog.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/model_config.hpp"
#include "config/object_reader.hpp"

using namespace switchsim;
using namespace switchsim::config;

namespace {
std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("every shipped model parses and round-trips through JSON") {
  const Catalog catalog(SWITCHSIM_SOURCE_DIR);
  const auto names = catalog.model_names();
  CHECK(names.size() == 14);
  for (const auto& name : names) {
    INFO(name);
    const auto m = catalog.model(name);
    CHECK(m.name == name);
    const auto again = parse_model(to_json(m), "roundtrip");
    CHECK(to_json(again) == to_json(m));
    CHECK_FALSE(m.source.empty());
  }
}

TEST_CASE("every shipped device states a source for every figure") {
  const Catalog catalog(SWITCHSIM_SOURCE_DIR);
  for (const auto& name : catalog.hardware_names()) {
    INFO(name);
    if (catalog.hardware_type(name) == "device") {
      const auto d = catalog.device(name);
      for (const char* field : {"compute_units", "peak_tflops", "memory_GiB", "memory_bandwidth_GBps",
                                "gemm_efficiency", "memory_efficiency", "kernel_overhead_us"})
        CHECK(d.sources.contains(field));
    } else {
      const auto c = catalog.cluster(name);
      CHECK(c.sources.contains("topology"));
      CHECK(c.devices == endpoint_count(c.topology));
    }
  }
}

TEST_CASE("shipped clusters have the stated shapes") {
  const Catalog catalog(SWITCHSIM_SOURCE_DIR);
  const auto dgx = catalog.cluster("dgx-h100-8");
  CHECK(dgx.devices == 8);
  CHECK(std::get<NvSwitchSpec>(dgx.topology).link.bandwidth.value() == Approx(450e9));
  const auto pod = catalog.cluster("h100-fat-tree-1024");
  const auto& tree = std::get<FatTreeSpec>(pod.topology);
  CHECK(tree.rail_optimized);
  CHECK(tree.nodes * tree.endpoints_per_node == 1024);
  CHECK(tree.nic.bandwidth.value() == Approx(50e9));  // 400 Gb/s
  const auto tpu = catalog.cluster("tpu-v3-32");
  const auto& torus = std::get<TorusSpec>(tpu.topology);
  CHECK(torus.dims == std::vector<std::int64_t>{4, 4});
  CHECK(tpu.device.peak_bf16.value() * static_cast<double>(tpu.device.cores_per_chip) == Approx(123e12));
}

TEST_CASE("errors name the file and the JSON pointer") {
  const auto json = nlohmann::json::parse(R"({"name":"m","d_model":768,"d_ff":0})");
  CHECK(error_of([&] {
          ObjectReader r(json, "x.json");
          r.positive_int("d_model");
          r.positive_int("d_ff");
        }) == "x.json: /d_ff: must be a positive integer, got 0");
}

TEST_CASE("nested errors carry the whole path") {
  const auto json = nlohmann::json::parse(R"({"topology":{"dims":[4,0]}})");
  CHECK(error_of([&] {
          ObjectReader r(json, "c.json");
          r.object("topology").positive_int_array("dims");
        }) == "c.json: /topology/dims/1: must be a positive integer, got 0");
}

TEST_CASE("an unread field is reported as unknown") {
  const auto json = nlohmann::json::parse(R"({"a":1,"zz":2})");
  CHECK(error_of([&] {
          ObjectReader r(json, "f.json");
          r.positive_int("a");
          r.finish();
        }) == "f.json: /zz: unknown field");
}

TEST_CASE("JSON syntax errors give the byte offset") {
  const std::string err = error_of([] { parse_json_text("{\"a\": 1,, }", "t.json"); });
  CHECK(err.rfind("t.json: byte 9: not valid JSON", 0) == 0);
}

TEST_CASE("duplicate keys are refused at any depth, but equal keys in sibling objects are fine") {
  CHECK(error_of([] { parse_json_text(R"({"a":{"b":1,"b":2}})", "d.json"); }) == "d.json: /b: duplicate key");
  CHECK(error_of([] { parse_json_text(R"([{"b":1},{"b":2}])", "d.json"); }) == "(no error)");
}

TEST_CASE("a name that does not exist says how to find the right one") {
  const Catalog catalog(SWITCHSIM_SOURCE_DIR);
  CHECK_THAT(error_of([&] { catalog.model("switch-base-7"); }), Catch::Contains("switchsim list models"));
}
