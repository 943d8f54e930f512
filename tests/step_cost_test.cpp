// Step fidelity, the cost side (issue 14): dispatch as the real systems run it (one-hot mask
// einsums, index scatter, grouped GEMM), fp32 matmuls as the device runs them, and activation
// rematerialization. Expected values are derived by hand in each test.

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>

#include "comm/closed_form.hpp"
#include "compute/kernel_model.hpp"
#include "config/error.hpp"
#include "model/dispatch_cost.hpp"
#include "model/precision.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "report/result_row.hpp"
#include "report/results_writer.hpp"
#include "sweep/grid.hpp"
#include "test_files.hpp"

using namespace switchsim;
using namespace switchsim::model;

namespace {
using switchsim::test::catalog;

StepResult run(const StepInputs& inputs) {
  BytesPerSecond bandwidth = BytesPerSecond::gigabytes(450);
  Picoseconds latency(1'000'000);
  if (const auto* t = std::get_if<config::TorusSpec>(&inputs.cluster.topology)) {
    bandwidth = t->link.bandwidth;
    latency = t->link.latency;
  }
  comm::ClosedFormComm comm(bandwidth, latency);
  return simulate_step(inputs, comm);
}
StepResult run(const Scenario& s) { return run(make_inputs(s, catalog())); }

// 32 TPUv3 cores as in the paper's speed runs, 4 sequences (2,048 encoder tokens) a core.
Scenario tpu(const std::string& model) {
  Scenario s;
  s.model = model;
  s.cluster = "tpu-v3-32";
  s.batch_tokens = 32 * 512 * 4;
  return s;
}

// A device on which a GEMM of F FLOPs takes F picoseconds: 1 TFLOP/s, efficiency 1, 1x1
// tiles on one unit (no tile or wave padding), memory and launches free.
config::DeviceConfig unit_device() {
  config::DeviceConfig d;
  d.name = "unit";
  d.kind = "gpu";
  d.compute_units = 1;
  d.peak_bf16 = d.peak_fp32 = d.peak_tf32 = FlopsPerSecond::tera(1);
  d.memory = Bytes(1LL << 40);
  d.memory_bandwidth = BytesPerSecond(1e30);
  d.gemm_efficiency = 1.0;
  d.memory_efficiency = 1.0;
  d.gemm_tile = 1;
  d.kernel_overhead = Picoseconds(0);
  return d;
}
}  // namespace

TEST_CASE("einsum dispatch of 8 tokens in groups of 4 to 2 experts costs 2*S*E*C*d = 256 FLOPs a group, five einsums a layer") {
  // S = 4 tokens a group, G = 8 / 4 = 2 groups, E = 2 experts, d = 8, cf 1, top-1:
  // C = ceil(1 * 1.0 * 4 / 2) = 2 per group. One einsum: 2 * S * E * C * d = 2*4*2*2*8 = 256
  // FLOPs a group, 512 over the two groups. Mask [G,S,E,C] = 2*4*2*2 = 32 elements.
  config::ModelConfig m;
  m.d_model = 8;
  m.experts = 2;
  m.top_k = 1;
  m.min_capacity = 1;
  m.d_ff = 16;
  m.heads = 1;
  const EinsumShape s = einsum_shape(8, 4, m, 1.0);
  CHECK(s.groups == 2);
  CHECK(s.group_size == 4);
  CHECK(s.capacity == 2);
  CHECK(s.device_capacity() == 4);
  CHECK(s.mask_elements() == 32);
  CHECK(s.flops_per_einsum().value() == 512.0);

  // On the unit device a GEMM of F FLOPs takes F ps; the masks' memory traffic rounds up to
  // at most a picosecond per kernel. Dispatch: 1 einsum forward, 1 backward (the one-hot mask
  // has no gradient). Combine: 1 forward, 2 backward (d expert outputs, d gates).
  const compute::KernelModel kernels(unit_device());
  const PhaseCosts costs(kernels, m, 1);
  const PhaseCost dispatch = einsum_dispatch(costs, s, DType::bf16);
  const PhaseCost combine = einsum_combine(costs, s, DType::bf16);
  CHECK(dispatch.forward_flops.value() == 512.0);
  CHECK(dispatch.forward.count() == Approx(512).margin(2));
  CHECK(dispatch.backward.count() == Approx(512).margin(2));
  CHECK(combine.forward.count() == Approx(512).margin(3));
  CHECK(combine.backward.count() == Approx(1024).margin(3));
}

TEST_CASE("on tpu-v3-32 the einsum dispatch is slower than index scatter, and TPU profiles default to einsum") {
  auto s = tpu("switch-base-128");
  const auto einsum_inputs = make_inputs(s, catalog());
  CHECK(einsum_inputs.dispatch == Dispatch::einsum);  // hardware/tpu-v3.json "dispatch"
  CHECK(make_inputs([] {
          Scenario g = tpu("switch-base-128");
          g.cluster = "dgx-h100-8";
          g.batch_tokens = 8 * 512;
          return g;
        }(), catalog()).dispatch == Dispatch::scatter);
  const double einsum = run(einsum_inputs).step_time.seconds();
  s.dispatch = "scatter";
  const double scatter = run(s).step_time.seconds();
  CHECK(scatter < einsum);
}

TEST_CASE("with einsum dispatch the Switch-Base-128 / T5-Base step-time ratio on tpu-v3-32 grows with the capacity factor") {
  // E * C per group grows with cf (C = ceil(cf * 1024 / 128)), so the five einsums' FLOPs
  // 2 * S * E * C * d grow linearly with it; T5-Base has no Switch layer.
  auto t5 = tpu("t5-base");
  const double dense = run(t5).step_time.seconds();
  double previous = 0;
  for (double cf : {1.0, 1.25, 2.0}) {
    auto s = tpu("switch-base-128");
    s.capacity_factor = cf;
    const double ratio = run(s).step_time.seconds() / dense;
    CHECK(ratio > previous);
    previous = ratio;
  }
}

TEST_CASE("grouped dispatch is dropless, pads each expert's rows to MegaBlocks' 128-row blocks, and einsum refuses dropless") {
  auto s = tpu("switch-base-128");
  s.routing = "zipf:1.1";
  s.dispatch = "grouped";
  const auto in = make_inputs(s, catalog());
  CHECK(in.padding == Padding::dropless);
  CHECK(run(in).dropped_token_frac == 0.0);

  // Rows {1, 129}: padded to 128 + 256 = 384 rows, one GEMM chain over them.
  config::ModelConfig m;
  m.d_model = 64;
  m.d_ff = 128;
  m.ffn = config::FfnKind::relu;
  m.heads = 1;
  m.experts = 2;
  const compute::KernelModel kernels(unit_device());
  const PhaseCosts costs(kernels, m, 1);
  const PhaseCost grouped = costs.expert_ffn({1, 129}, kMegaBlocksBlockRows);
  const double padded_flops = 2.0 * 384 * 128 * 64 * 2;  // up and down projections of 384 rows
  CHECK(grouped.forward.count() == Approx(padded_flops).margin(4));
  CHECK(grouped.forward_flops.value() == 2.0 * 130 * 128 * 64 * 2);  // useful: the 130 real rows

  auto bad = tpu("switch-base-128");
  bad.padding = "dropless";
  CHECK(make_inputs(bad, catalog()).dispatch == Dispatch::scatter);  // the profile's einsum gives way
  bad.dispatch = "einsum";
  try {
    make_inputs(bad, catalog());
    FAIL("einsum with dropless padding was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("--dispatch grouped") != std::string::npos);
  }
}

TEST_CASE("fp32 GEMMs are slower than bf16 by the profiles' factors: 989/67 on an H100, the bf16 passes on a TPU") {
  // h100-sxm.json: bf16 989, fp32 67 TFLOP/s dense (datasheet). A compute-bound GEMM
  // (8192^3: 1.1 TFLOP, 17 ms in fp32 against 4 us of launch) takes 989/67 = 14.76 times longer.
  config::ModelConfig m = catalog().model("switch-base-8");
  {
    const compute::KernelModel kernels(catalog().cluster("dgx-h100-8").device);
    const PhaseCosts costs(kernels, m, 1);
    const double fp32 = costs.gemm(8192, 8192, 8192, 1, DType::fp32).forward.seconds();
    const double bf16 = costs.gemm(8192, 8192, 8192, 1, DType::bf16).forward.seconds();
    CHECK(fp32 / bf16 == Approx(989.0 / 67.0).epsilon(0.01));
  }
  // tpu-v3.json: fp32_matmul_passes 1 (XLA DEFAULT); --matmul-precision high = 3 passes,
  // highest = 6 (jax.lax.Precision): the fp32 GEMM takes 1, 3, 6 times the bf16 one.
  for (const auto& [precision, passes] : {std::pair{"default", 1.0}, {"high", 3.0}, {"highest", 6.0}}) {
    auto s = tpu("switch-base-128");
    s.matmul_precision = precision;
    const auto in = make_inputs(s, catalog());
    const compute::KernelModel kernels(in.cluster.device);
    const PhaseCosts costs(kernels, m, 1);
    const double fp32 = costs.gemm(8192, 8192, 8192, 1, DType::fp32).forward.seconds();
    const double bf16 = costs.gemm(8192, 8192, 8192, 1, DType::bf16).forward.seconds();
    CHECK(fp32 / bf16 == Approx(passes).epsilon(0.01));
  }
  auto gpu = tpu("switch-base-8");
  gpu.cluster = "dgx-h100-8";
  gpu.batch_tokens = 8 * 512;
  gpu.matmul_precision = "high";
  CHECK_THROWS_AS(make_inputs(gpu, catalog()), std::invalid_argument);
}

TEST_CASE("on tpu-v3-32 an all-fp32 step is slower than bf16 (bytes double; 3 passes slower still) and selective precision is within 3% of bf16") {
  auto s = tpu("switch-base-128");
  s.router_dtype = "bf16";
  const double bf16 = run(s).step_time.seconds();
  s.router_dtype = "fp32";  // selective precision: the paper's Section 2.4
  const double selective = run(s).step_time.seconds();
  s.compute_dtype = "fp32";
  const double fp32 = run(s).step_time.seconds();
  s.matmul_precision = "high";
  const double fp32_3x = run(s).step_time.seconds();
  CHECK(selective >= bf16);
  CHECK(selective / bf16 < 1.03);
  CHECK(fp32 > selective);
  CHECK(fp32_3x > fp32);
}

TEST_CASE("remat full saves less activation memory and takes more time than none; attention lies between") {
  auto s = tpu("switch-base-128");
  const auto none = run(s);
  s.remat = "attention";
  const auto attention = run(s);
  s.remat = "full";
  const auto full = run(s);
  CHECK(none.recompute_time.count() == 0);
  CHECK(full.memory.activations < attention.memory.activations);
  CHECK(attention.memory.activations < none.memory.activations);
  CHECK(none.step_time < attention.step_time);
  CHECK(attention.step_time < full.step_time);
  // The recomputed work sits on the step's serial chain: selective recompute (attention
  // core only) lengthens the step by exactly its recompute time; full remat redoes the whole
  // forward (more work), and lengthens the step by at most its recompute time (it may hide a
  // gradient all-reduce that ended the step before).
  const double attention_added = (attention.step_time - none.step_time).seconds();
  CHECK(attention_added == Approx(attention.recompute_time.seconds()).epsilon(0.05));
  CHECK(full.recompute_time > attention.recompute_time);
  CHECK((full.step_time - none.step_time).seconds() <= full.recompute_time.seconds() * 1.0001);
}

TEST_CASE("a point out of memory names a remat policy or microbatch count, and that point fits") {
  // Switch-Base-128 with 64 sequences (32,768 encoder tokens) a TPUv3 core does not fit its
  // 16 GiB with every activation saved (about 20 GB of activations alone).
  auto s = tpu("switch-base-128");
  s.batch_tokens = 32 * 512 * 64;
  const auto r = run(s);
  REQUIRE(r.memory.oom());
  const std::string& hint = r.memory.fit_hint;
  REQUIRE(hint.rfind("fits with ", 0) == 0);
  std::istringstream words(hint.substr(10));
  std::string option, value;
  while (words >> option >> value) {
    if (option == "--remat") s.remat = value;
    else if (option == "--microbatches") s.microbatches = std::stoll(value);
    else FAIL("unexpected option in the hint: " + option);
  }
  CHECK_FALSE(run(s).memory.oom());
}

TEST_CASE("a profile's fp32 peak must agree with its fp32_matmul_passes") {
  const auto json = nlohmann::json::parse(
      R"({"name":"t","kind":"tpu_core","compute_units":2,"peak_tflops":{"bf16":60,"fp32":30},"fp32_matmul_passes":3,
          "memory_GiB":16,"memory_bandwidth_GBps":450})");
  try {
    config::parse_device(json, "t.json");
    FAIL("accepted");
  } catch (const config::ConfigError& e) {
    CHECK(std::string(e.what()).find("/peak_tflops/fp32") != std::string::npos);
  }
  auto ok = json;
  ok["peak_tflops"].erase("fp32");
  const auto d = config::parse_device(ok, "t.json");
  CHECK(d.peak_fp32.value() == Approx(20e12));
  CHECK(d.dispatch == "einsum");  // a tpu_core without "dispatch"
}

TEST_CASE("dispatch is a sweep axis between padding and top-k, and a column of the results") {
  sweep::Grid g;
  g.models = {"switch-base-8"};
  g.clusters = {"tpu-v3-32"};
  g.dispatches = {"einsum", "scatter"};
  g.capacity_factors = {1.0, 2.0};
  REQUIRE(g.size() == 4);
  CHECK(g.point(0).dispatch == "einsum");
  CHECK(g.point(1).capacity_factor == 2.0);
  CHECK(g.point(1).dispatch == "einsum");
  CHECK(g.point(2).dispatch == "scatter");
  const auto columns = report::results_csv_columns();
  CHECK(std::find(columns.begin(), columns.end(), "dispatch") != columns.end());
  report::ResultRow row;
  row.dispatch = "grouped";
  CHECK(report::to_json(row)["dispatch"] == "grouped");
}
