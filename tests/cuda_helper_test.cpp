// The CUDA reference behind its helper executable (src/ref/cuda/wire.hpp): switchsim itself
// neither links nor loads the CUDA libraries, messages round-trip, and without the helper the
// CUDA subcommands say why and exit 3.

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.hpp"
#include "ref/cuda/api.hpp"
#include "ref/cuda/wire.hpp"

using namespace switchsim::ref::cuda;

namespace {
std::string command_output(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buffer[4096];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
  pclose(p);
  return out;
}

// Sets an environment variable for the life of the scope.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }
  const char* name_;
};
}  // namespace

TEST_CASE("the switchsim binary does not link cuBLAS, cuBLASLt, the CUDA runtime or NCCL") {
  const auto libs = command_output(std::string("ldd '") + SWITCHSIM_BINARY + "' 2>&1");
  REQUIRE(libs.find("libc.so") != std::string::npos);  // ldd ran
  for (const char* lib : {"libcublas", "libcudart", "libnccl", "libcuda.so"}) CHECK(libs.find(lib) == std::string::npos);
  // Nor does this test binary, which links the same client library: nothing CUDA is mapped here.
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  CHECK(text.str().find("libcublas") == std::string::npos);
  CHECK(text.str().find("libcudart") == std::string::npos);
  // And `--version` / `describe` still answer.
  CHECK(switchsim::test::run_cli("--version").exit_code == 0);
  CHECK(switchsim::test::run_cli("describe hardware h200-sxm").exit_code == 0);
}

TEST_CASE("a CUDA measurement survives the trip from the helper to switchsim unchanged") {
  CudaLayerResult r;
  r.measurement.spec.target = "cuda";
  r.measurement.spec.experts = 64;
  r.measurement.spec.capacity_factor = 1.25;
  r.measurement.spec.routing = "zipf:1.1";
  r.measurement.spec.seed = 77;
  r.measurement.spec.aux_loss = false;
  r.measurement.capacity = 160;
  r.measurement.dropped_token_frac = 0.03125;
  r.measurement.aux_loss = 0.0101;
  r.measurement.phases["router"] = {1.5e-5, 1.4e-5, 1.7e-5, 20};
  r.measurement.step = {2e-3, 1.9e-3, 2.2e-3, 20};
  r.alltoall_mode = "device_copy";
  r.expert_counts = {3, 1, 4, 1, 5};
  r.workspace_bytes = 123456789;
  r.nonfinite_tokens = 2;
  r.check_rel_err = 0.004;
  const auto back = wire::layer_result_from_json(nlohmann::json::parse(wire::to_json(r).dump()));
  CHECK(switchsim::ref::to_row(back.measurement) == switchsim::ref::to_row(r.measurement));
  CHECK(back.measurement.spec.seed == 77);
  CHECK_FALSE(back.measurement.spec.aux_loss);
  CHECK(back.alltoall_mode == "device_copy");
  CHECK(back.expert_counts == r.expert_counts);
  CHECK(back.workspace_bytes == 123456789);
  CHECK(back.nonfinite_tokens == 2);
  CHECK(back.check_rel_err == 0.004);
  RunOptions o;
  o.repeats = 7;
  o.dispatch = DispatchImpl::einsum;
  o.check = true;
  const auto ob = wire::run_options_from_json(wire::to_json(o));
  CHECK(ob.repeats == 7);
  CHECK(ob.dispatch == DispatchImpl::einsum);
  CHECK(ob.check);
  KernelBench b;
  b.peak_bf16_tflops = 780;
  b.rows.push_back({"dispatch", 1e-4, 3500, "GBps", 4300, 0.8, "read + write"});
  const auto bb = wire::kernel_bench_from_json(wire::to_json(b));
  CHECK(bb.peak_bf16_tflops == 780);
  REQUIRE(bb.rows.size() == 1);
  CHECK(bb.rows[0].note == "read + write");
  CHECK(bb.rows[0].goal == 0.8);
}

TEST_CASE("the helper's error replies become the exceptions the CLI maps to exit codes") {
  CHECK(wire::rethrow_if_error(wire::ok({{"x", 1}})).at("x") == 1);
  CHECK_THROWS_AS(wire::rethrow_if_error(wire::error("no_device", "none")), NoCudaDevice);
  CHECK_THROWS_AS(wire::rethrow_if_error(wire::error("invalid_argument", "bad")), std::invalid_argument);
  CHECK_THROWS_WITH(wire::rethrow_if_error(wire::error("error", "boom")), "boom");
}

TEST_CASE("without the switchsim-cuda helper, CUDA subcommands say switchsim was built without CUDA and exit 3") {
  const ScopedEnv missing("SWITCHSIM_CUDA_HELPER", "/nonexistent/switchsim-cuda");
  std::string why;
  CHECK_FALSE(cuda_available(why));
  CHECK(why.find("built without CUDA") != std::string::npos);
  CHECK_FALSE(built_with_cuda());
  CHECK_THROWS_AS(run_kernel_checks(), NoCudaDevice);
  const auto r = switchsim::test::run_cli("measure --target cuda --experts 8 --tokens 64");
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("built without CUDA") != std::string::npos);
  CHECK(switchsim::test::run_cli("calibrate --target cuda --out /tmp/switchsim-none.json").exit_code == 3);
}
