#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/catalog.hpp"
#include "config/device_band.hpp"
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
  CHECK(error_of([] { parse_json_text(R"({"a":{"b":1,"b":2}})", "d.json"); }) == "d.json: /a/b: duplicate key");
  CHECK(error_of([] { parse_json_text(R"([{"b":1},{"b":2}])", "d.json"); }) == "(no error)");
}

TEST_CASE("a name that does not exist says how to find the right one") {
  const Catalog catalog(SWITCHSIM_SOURCE_DIR);
  CHECK_THAT(error_of([&] { catalog.model("switch-base-7"); }), Catch::Contains("switchsim list models"));
}

TEST_CASE("a remembering catalog reads a file once, shared by its copies; a plain one rereads it") {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / ("switchsim_catalog_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "models");
  const auto shipped = fs::path(SWITCHSIM_SOURCE_DIR) / "models" / "switch-base-8.json";
  std::ifstream in(shipped);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto write = [&](const std::string& content) { std::ofstream(dir / "models" / "m.json") << content; };
  write(text);
  const Catalog plain(dir);
  const Catalog remembering = plain.remembering();
  const Catalog copy = remembering;  // shares what `remembering` read
  CHECK(remembering.model("m").d_model == 768);
  std::string wider = text;
  const std::string narrow_field = "\"d_model\": 768";
  const auto at = wider.find(narrow_field);
  REQUIRE(at != std::string::npos);
  wider.replace(at, narrow_field.size(), "\"d_model\": 1024");
  write(wider);
  CHECK(plain.model("m").d_model == 1024);
  CHECK(remembering.model("m").d_model == 768);
  CHECK(copy.model("m").d_model == 768);
  CHECK(plain.remembering().model("m").d_model == 1024);  // a new remembering catalog reads afresh
  fs::remove_all(dir);
}

TEST_CASE("a calibrated device carries a GEMM efficiency table and lo/hi spreads that round-trip") {
  const auto json = nlohmann::json::parse(R"({"name":"c","kind":"cpu","compute_units":2,
    "peak_tflops":{"bf16":0.1,"fp32":0.1},"memory_GiB":16,"memory_bandwidth_GBps":10,
    "memory_bandwidth_GBps_lo":8,"memory_bandwidth_GBps_hi":11,
    "gemm_efficiency":0.9,"gemm_efficiency_lo":0.8,"gemm_efficiency_hi":0.95,
    "kernel_overhead_us":0.5,"kernel_overhead_us_lo":0.25,"kernel_overhead_us_hi":1,
    "gemm_efficiency_table":[{"m":64,"n":256,"k":256,"efficiency":0.5,"efficiency_lo":0.4,"efficiency_hi":0.6},
                             {"m":1024,"n":1024,"k":1024,"efficiency":1}]})");
  const auto d = parse_device(json, "c.json");
  REQUIRE(d.gemm_efficiency_table.size() == 2);
  CHECK(d.gemm_efficiency_table[0].m == 64);
  CHECK(d.gemm_efficiency_table[0].band->hi == 0.6);
  CHECK_FALSE(d.gemm_efficiency_table[1].band.has_value());
  CHECK(d.gemm_efficiency_band->lo == 0.8);
  CHECK(d.memory_bandwidth_band->hi.value() == Approx(11e9));
  CHECK(d.kernel_overhead_band->lo.count() == 250'000);  // 0.25 us in ps
  CHECK(to_json(parse_device(to_json(d), "again")) == to_json(d));
}

TEST_CASE("calibrated fields are checked: bands bracket the value, table entries are complete and known") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,)";
  auto err = [&](const std::string& extra) {
    return error_of([&] { parse_device(nlohmann::json::parse("{" + base + extra + "}"), "c.json"); });
  };
  CHECK(err(R"("gemm_efficiency":0.9,"gemm_efficiency_lo":0.95,"gemm_efficiency_hi":1)") ==
        "c.json: /gemm_efficiency_lo: must not exceed gemm_efficiency (0.9)");
  CHECK(err(R"("gemm_efficiency_lo":0.5)") == "c.json: /gemm_efficiency_lo: needs gemm_efficiency_hi as well");
  CHECK(err(R"("gemm_efficiency_table":[{"m":1,"n":1,"k":1,"efficiency":0.5,"eff":1}])") ==
        "c.json: /gemm_efficiency_table/0/eff: unknown field");
  CHECK_THAT(err(R"("gemm_efficiency_table":[{"m":1,"n":1,"efficiency":0.5}])"),
             Catch::Contains("/gemm_efficiency_table/0/k"));
  CHECK_THAT(err(R"("gemm_efficiency_table":[{"m":1,"n":1,"k":1,"efficiency":1.5}])"),
             Catch::Contains("/gemm_efficiency_table/0/efficiency: must be between 0.0 and 1.0"));
  CHECK_THAT(err(R"("gemm_efficiency_table":[3])"), Catch::Contains("/gemm_efficiency_table/0: must be an object"));
}

TEST_CASE("a calibrated GEMM grid round-trips, and every grid point must be in the table, axes ascending") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,"gemm_efficiency_table":[
      {"m":16,"n":4,"k":4,"efficiency":0.1},{"m":128,"n":4,"k":4,"efficiency":0.2},{"m":9,"n":9,"k":9,"efficiency":0.3}],)";
  auto parse = [&](const std::string& grid) { return parse_device(nlohmann::json::parse("{" + base + grid + "}"), "c.json"); };
  const auto d = parse(R"("gemm_grid":{"m":[16,128],"n":[4],"k":[4]})");
  REQUIRE(d.gemm_grid.has_value());
  CHECK(d.gemm_grid->m == std::vector<std::int64_t>{16, 128});
  CHECK(to_json(parse_device(to_json(d), "again")) == to_json(d));
  CHECK(error_of([&] { parse(R"("gemm_grid":{"m":[16,128],"n":[4,8],"k":[4]})"); }) ==
        "c.json: /gemm_grid: grid point (16, 8, 4) has no positive efficiency in gemm_efficiency_table");
  CHECK(error_of([&] { parse(R"("gemm_grid":{"m":[128,16],"n":[4],"k":[4]})"); }) ==
        "c.json: /gemm_grid/m: must be strictly ascending");
  CHECK_THAT(error_of([&] { parse(R"("gemm_grid":{"m":[16],"n":[4]})"); }), Catch::Contains("/gemm_grid/k"));
}

TEST_CASE("transposed-B table points round-trip, and a grid point measured only transposed does not count") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,)";
  auto parse = [&](const std::string& extra) { return parse_device(nlohmann::json::parse("{" + base + extra + "}"), "c.json"); };
  const auto d = parse(R"("gemm_efficiency_table":[{"m":16,"n":4,"k":4,"efficiency":0.2},
    {"m":16,"n":4,"k":4,"efficiency":0.1,"transposed_b":true}],"gemm_grid":{"m":[16],"n":[4],"k":[4]})");
  REQUIRE(d.gemm_efficiency_table.size() == 2);
  CHECK_FALSE(d.gemm_efficiency_table[0].transposed_b);
  CHECK(d.gemm_efficiency_table[1].transposed_b);
  const auto again = to_json(d);
  CHECK_FALSE(again["gemm_efficiency_table"][0].contains("transposed_b"));  // written only when true
  CHECK(again["gemm_efficiency_table"][1]["transposed_b"] == true);
  CHECK(to_json(parse_device(again, "again")) == again);
  CHECK(error_of([&] {
          parse(R"("gemm_efficiency_table":[{"m":16,"n":4,"k":4,"efficiency":0.1,"transposed_b":true}],
                   "gemm_grid":{"m":[16],"n":[4],"k":[4]})");
        }) == "c.json: /gemm_grid: grid point (16, 4, 4) has no positive efficiency in gemm_efficiency_table");
  CHECK_THAT(error_of([&] { parse(R"("gemm_efficiency_table":[{"m":1,"n":1,"k":1,"efficiency":0.1,"transposed_b":1}])"); }),
             Catch::Contains("/gemm_efficiency_table/0/transposed_b"));
}

TEST_CASE("a measured router cost round-trips; its points ascend by top-k then experts and top-k fits the experts") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,)";
  auto parse = [&](const std::string& curve) {
    return parse_device(nlohmann::json::parse("{" + base + R"("router_ns_per_logit":)" + curve + "}"), "c.json");
  };
  const auto d = parse(R"([{"experts":2,"top_k":1,"ns_per_logit":1.5,"backward_ns_per_logit":0.5},
                           {"experts":32,"top_k":1,"ns_per_logit":4},{"experts":2,"top_k":2,"ns_per_logit":3}])");
  REQUIRE(d.router_ns_per_logit.size() == 3);
  CHECK(d.router_ns_per_logit[1].experts == 32);
  CHECK(d.router_ns_per_logit[2].top_k == 2);
  CHECK(d.router_ns_per_logit[0].ns_per_logit == 1.5);
  CHECK(d.router_ns_per_logit[0].backward_ns_per_logit == 0.5);
  CHECK(d.router_ns_per_logit[1].backward_ns_per_logit == 0.0);  // absent: the bytes alone price it
  CHECK(to_json(parse_device(to_json(d), "again")) == to_json(d));
  CHECK(error_of([&] {
          parse(R"([{"experts":32,"top_k":1,"ns_per_logit":1},{"experts":2,"top_k":1,"ns_per_logit":1}])");
        }) == "c.json: /router_ns_per_logit/1/experts: must be strictly ascending along router_ns_per_logit within "
              "each top_k, top_k ascending");
  CHECK_THAT(error_of([&] { parse(R"([{"experts":2,"top_k":3,"ns_per_logit":1}])"); }),
             Catch::Contains("/router_ns_per_logit/0/top_k"));
  CHECK_THAT(error_of([&] { parse(R"([{"experts":2,"top_k":1}])"); }), Catch::Contains("/router_ns_per_logit/0/ns_per_logit"));
  CHECK_THAT(error_of([&] { parse(R"([{"experts":2,"top_k":1,"ns_per_logit":-1}])"); }),
             Catch::Contains("/router_ns_per_logit/0/ns_per_logit"));
  CHECK_THAT(error_of([&] { parse(R"([{"experts":2,"top_k":1,"ns_per_logit":1,"backward_ns_per_logit":-2}])"); }),
             Catch::Contains("/router_ns_per_logit/0/backward_ns_per_logit"));
  CHECK_THAT(error_of([&] { parse(R"([{"experts":2,"top_k":1,"ns_per_logit":1,"ns":1}])"); }),
             Catch::Contains("/router_ns_per_logit/0"));
}

TEST_CASE("a measured row tail round-trips; it holds one cost per remainder below its panel, none negative") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,)";
  auto parse = [&](const std::string& tail) {
    return parse_device(nlohmann::json::parse("{" + base + R"("gemm_row_tail":)" + tail + "}"), "c.json");
  };
  const auto d = parse(R"({"panel_rows":4,"ns_per_b_element":[0.11,0.12,0.23],"ns_per_b_element_transposed_b":[0.14,0.13,0]})");
  REQUIRE(d.gemm_row_tail.has_value());
  CHECK(d.gemm_row_tail->panel_rows == 4);
  CHECK(d.gemm_row_tail->ns_per_b_element == std::vector<double>{0.11, 0.12, 0.23});
  CHECK(d.gemm_row_tail->ns_per_b_element_transposed_b == std::vector<double>{0.14, 0.13, 0.0});
  CHECK(to_json(parse_device(to_json(d), "again")) == to_json(d));
  CHECK(parse(R"({"panel_rows":2,"ns_per_b_element":[0.1]})").gemm_row_tail->ns_per_b_element_transposed_b.empty());
  CHECK(error_of([&] { parse(R"({"panel_rows":4,"ns_per_b_element":[0.1,0.2]})"); }) ==
        "c.json: /gemm_row_tail/ns_per_b_element: must hold panel_rows - 1 = 3 costs (remainders of 1 .. panel_rows - 1 "
        "rows), got 2");
  CHECK(error_of([&] { parse(R"({"panel_rows":2,"ns_per_b_element":[-0.1]})"); }) ==
        "c.json: /gemm_row_tail/ns_per_b_element/0: must be a number >= 0, got -0.1");
  CHECK_THAT(error_of([&] { parse(R"({"panel_rows":1,"ns_per_b_element":[0.1]})"); }),
             Catch::Contains("/gemm_row_tail/panel_rows"));
  CHECK_THAT(error_of([&] { parse(R"({"panel_rows":2,"ns_per_b_element":[2000]})"); }),
             Catch::Contains("/gemm_row_tail/ns_per_b_element"));
  CHECK_THAT(error_of([&] { parse(R"({"panel_rows":2,"ns_per_b_element":[0.1],"rows":2})"); }),
             Catch::Contains("/gemm_row_tail/rows: unknown field"));
}

TEST_CASE("a measured operand-streaming curve round-trips; its working sets ascend and each point states its cost") {
  const std::string base = R"("name":"c","kind":"cpu","compute_units":2,"peak_tflops":{"bf16":0.1,"fp32":0.1},
    "memory_GiB":16,"memory_bandwidth_GBps":10,)";
  auto parse = [&](const std::string& curve) {
    return parse_device(nlohmann::json::parse("{" + base + R"("gemm_operand_streaming":)" + curve + "}"), "c.json");
  };
  const auto d = parse(R"([{"working_set_bytes":4194304,"extra_ns_per_byte":0},{"working_set_bytes":67108864,"extra_ns_per_byte":0.04}])");
  REQUIRE(d.gemm_operand_streaming.size() == 2);
  CHECK(d.gemm_operand_streaming[1].working_set == Bytes(67108864));
  CHECK(d.gemm_operand_streaming[1].extra_ns_per_byte == 0.04);
  CHECK(to_json(parse_device(to_json(d), "again")) == to_json(d));
  CHECK(error_of([&] {
          parse(R"([{"working_set_bytes":64,"extra_ns_per_byte":0},{"working_set_bytes":64,"extra_ns_per_byte":1}])");
        }) == "c.json: /gemm_operand_streaming/1/working_set_bytes: must be strictly ascending along gemm_operand_streaming");
  CHECK_THAT(error_of([&] { parse(R"([{"working_set_bytes":64}])"); }),
             Catch::Contains("/gemm_operand_streaming/0/extra_ns_per_byte"));
  CHECK_THAT(error_of([&] { parse(R"([{"working_set_bytes":64,"extra_ns_per_byte":-1}])"); }),
             Catch::Contains("/gemm_operand_streaming/0/extra_ns_per_byte"));
  CHECK_THAT(error_of([&] { parse(R"([{"working_set_bytes":64,"extra_ns_per_byte":0,"ns":1}])"); }),
             Catch::Contains("/gemm_operand_streaming/0"));
}

TEST_CASE("a device at the slow or fast edge of its calibrated spreads") {
  config::DeviceConfig d;
  d.gemm_efficiency = 0.7;
  d.gemm_efficiency_band = config::Band<double>{0.6, 0.8};
  d.gemm_efficiency_table = {{64, 64, 64, 0.5, config::Band<double>{0.4, 0.6}}, {8, 8, 8, 0.2, std::nullopt}};
  d.memory_bandwidth = BytesPerSecond(10e9);
  d.memory_bandwidth_band = config::Band<BytesPerSecond>{BytesPerSecond(8e9), BytesPerSecond(10e9)};
  d.memory_efficiency = 0.9;
  d.memory_efficiency_band = config::Band<double>{0.8, 1.0};
  d.kernel_overhead = Picoseconds(1'000'000);
  d.kernel_overhead_band = config::Band<Picoseconds>{Picoseconds(500'000), Picoseconds(2'000'000)};
  CHECK(config::has_bands(d));
  const auto slow = config::at_band_edge(d, config::BandEdge::slow);
  CHECK(slow.gemm_efficiency == 0.6);
  CHECK(slow.gemm_efficiency_table[0].efficiency == 0.4);
  CHECK(slow.gemm_efficiency_table[1].efficiency == 0.2);  // no band: unchanged
  CHECK(slow.memory_efficiency == 0.8);
  CHECK(slow.memory_bandwidth == d.memory_bandwidth);  // the efficiency carries the streaming spread
  CHECK(slow.kernel_overhead == Picoseconds(2'000'000));
  const auto fast = config::at_band_edge(d, config::BandEdge::fast);
  CHECK(fast.gemm_efficiency == 0.8);
  CHECK(fast.gemm_efficiency_table[0].efficiency == 0.6);
  CHECK(fast.memory_efficiency == 1.0);
  CHECK(fast.kernel_overhead == Picoseconds(500'000));
  // Without an efficiency band the bandwidth's moves; a 0 edge is not a rate.
  d.memory_efficiency_band.reset();
  CHECK(config::at_band_edge(d, config::BandEdge::slow).memory_bandwidth == BytesPerSecond(8e9));
  d.gemm_efficiency_band = config::Band<double>{0.0, 0.8};
  CHECK(config::at_band_edge(d, config::BandEdge::slow).gemm_efficiency == 0.7);
  CHECK_FALSE(config::has_bands(config::DeviceConfig{}));
}
