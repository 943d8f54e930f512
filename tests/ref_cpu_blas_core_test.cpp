// Which OpenBLAS kernels the CPU reference asks for, and that the ranks switchsim starts run
// them (the context block says which ran and who chose them).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "ref/cpu/blas_core.hpp"

using namespace switchsim::ref::cpu;

TEST_CASE("generic OpenBLAS kernels on an AVX-512 or AVX2 CPU get the CPU's own core suggested") {
  CHECK(suggested_core("Prescott", /*avx512=*/true, /*avx2_fma=*/true) == "SkylakeX");
  CHECK(suggested_core("Nehalem", false, true) == "Haswell");
  CHECK(suggested_core("Sandybridge", false, true) == "Haswell");  // AVX without AVX2 kernels
  // Already AVX2-or-better kernels: nothing to ask for, whatever the CPU has.
  CHECK(suggested_core("SkylakeX", true, true).empty());
  CHECK(suggested_core("haswell", true, true).empty());  // names compare case-insensitively
  CHECK(suggested_core("Zen", false, true).empty());
  // A CPU without AVX2: the generic kernels are the right ones.
  CHECK(suggested_core("Prescott", false, false).empty());
}

TEST_CASE("ranks started by switchsim run the suggested kernels and the context says who chose them") {
  const auto here = blas_core();  // this test process: OpenBLAS's own choice unless the environment set one
  const auto r = switchsim::test::run_cli(
      "measure --target cpu --ranks 2 --experts 2 --tokens 32 --d-model 8 --d-ff 16 --warmup 0 --repeats 1 --json");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto ctx = nlohmann::json::parse(r.out)["context"];
  const std::string source = ctx["blas_core_source"];
  if (!here.requested.empty()) {
    CHECK(ctx["blas_core"].get<std::string>() == here.running);
    CHECK(source == "OPENBLAS_CORETYPE=" + here.requested + " from the environment");
  } else if (!here.suggested.empty()) {
    CHECK(ctx["blas_core"].get<std::string>() == here.suggested);
    CHECK_THAT(source, Catch::Contains("set by switchsim") && Catch::Contains(here.running));
  } else {
    CHECK(ctx["blas_core"].get<std::string>() == here.running);
    CHECK(source == "OpenBLAS's own choice for this CPU");
  }
}
