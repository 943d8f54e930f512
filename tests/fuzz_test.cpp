#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "fuzz/mutator.hpp"

using namespace switchsim;

namespace {
std::string slurp(const std::string& relative) {
  std::ifstream in(std::string(SWITCHSIM_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("the same seed gives the same mutants") {
  fuzz::Mutator a(42), b(42);
  const std::string text = slurp("models/switch-base-8.json");
  for (int i = 0; i < 50; ++i) CHECK(a.mutate(text) == b.mutate(text));
}

TEST_CASE("the shipped configs are accepted by their parsers") {
  CHECK(fuzz::parse_as("model", slurp("models/switch-c-2048.json"), "m") == fuzz::ParseOutcome::accepted);
  CHECK(fuzz::parse_as("device", slurp("hardware/h100-sxm.json"), "d") == fuzz::ParseOutcome::accepted);
  CHECK(fuzz::parse_as("cluster", slurp("hardware/tpu-v3-32.json"), "c") == fuzz::ParseOutcome::accepted);
}

// A short run of the fuzzer (the long one is `switchsim bench fuzz`): every mutant of every
// shipped input is either accepted or rejected with a ConfigError; nothing else escapes.
TEST_CASE("two thousand mutated configs are each accepted or rejected cleanly") {
  const std::vector<std::pair<std::string, std::string>> seeds{
      {"model", slurp("models/switch-base-128.json")},
      {"device", slurp("hardware/h100-sxm.json")},
      {"cluster", slurp("hardware/h100-fat-tree-1024.json")},
      {"cluster", slurp("hardware/tpu-v3-32.json")},
      {"trace", R"({"experts": 4, "tokens_per_group": 8, "steps": [[2, 2, 2, 2], [8, 0, 0, 0]]})"},
      {"grid", R"({"model": ["switch-base-8"], "cluster": ["dgx-h100-8"], "experts": [8, 16], "capacity_factor": [1.0]})"}};
  fuzz::Mutator mutator(2026);
  int rejected = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto& [kind, text] = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const std::string mutant = mutator.mutate(text);
    INFO("kind " << kind << ", mutant #" << i << ": " << mutant);
    fuzz::ParseOutcome outcome = fuzz::ParseOutcome::accepted;
    REQUIRE_NOTHROW(outcome = fuzz::parse_as(kind, mutant, "fuzz.json"));
    rejected += outcome == fuzz::ParseOutcome::rejected ? 1 : 0;
  }
  // Most mutants break something; a fuzzer that never gets rejected is not mutating.
  CHECK(rejected > 1000);
}
