#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "config/catalog.hpp"
#include "fuzz/campaign.hpp"
#include "fuzz/mutator.hpp"

using namespace switchsim;

namespace {
std::string source_text(const std::string& relative) {
  std::ifstream in(std::string(SWITCHSIM_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("the same seed gives the same mutants") {
  fuzz::Mutator a(42), b(42);
  const std::string text = source_text("models/switch-base-8.json");
  for (int i = 0; i < 50; ++i) CHECK(a.mutate(text) == b.mutate(text));
}

TEST_CASE("the shipped configs are accepted by their parsers") {
  CHECK(fuzz::parse_as("model", source_text("models/switch-c-2048.json"), "m") == fuzz::ParseOutcome::accepted);
  CHECK(fuzz::parse_as("device", source_text("hardware/h100-sxm.json"), "d") == fuzz::ParseOutcome::accepted);
  CHECK(fuzz::parse_as("cluster", source_text("hardware/tpu-v3-32.json"), "c") == fuzz::ParseOutcome::accepted);
}

// A short run of the fuzzer (the long one is `switchsim bench fuzz`): every mutant of every
// shipped input is either accepted or rejected with a ConfigError; nothing else escapes.
TEST_CASE("two thousand mutated configs are each accepted or rejected cleanly") {
  const std::vector<std::pair<std::string, std::string>> seeds{
      {"model", source_text("models/switch-base-128.json")},
      {"device", source_text("hardware/h100-sxm.json")},
      {"cluster", source_text("hardware/h100-fat-tree-1024.json")},
      {"cluster", source_text("hardware/tpu-v3-32.json")},
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

// The campaign behind `switchsim bench fuzz`: its counts are counted, not printed as constants.
TEST_CASE("a fuzzing campaign counts every input once and simulates the accepted ones") {
  const auto catalog = config::Catalog(SWITCHSIM_SOURCE_DIR);
  const std::vector<fuzz::SeedInput> seeds{
      {"model", source_text("models/switch-base-8.json")},
      {"device", source_text("hardware/h100-sxm.json")},
      {"cluster", source_text("hardware/dgx-h100-8.json")},
      {"trace", R"({"experts": 4, "tokens_per_group": 8, "steps": [[2, 2, 2, 2], [8, 0, 0, 0]]})"},
      {"grid", R"({"model": ["switch-base-8"], "cluster": ["dgx-h100-8"], "experts": [8, 16]})"}};
  const fuzz::SimulationBase base{catalog.model("switch-base-8"), catalog.cluster("dgx-h100-8"), &catalog};
  fuzz::CampaignOptions options;
  options.seed = 7;
  options.inputs = 300;
  options.per_input_limit_s = 5.0;
  std::vector<fuzz::Finding> findings;
  const auto result = fuzz::run_campaign(seeds, base, options, [&](const fuzz::Finding& f) { findings.push_back(f); });
  for (const auto& f : findings) UNSCOPED_INFO(f.kind << " #" << f.index << ": " << f.what << "\n" << f.text);
  CHECK(findings.empty());
  CHECK(result.inputs == 300);
  std::int64_t counted = 0, simulated = 0;
  for (const auto& [kind, c] : result.kinds) {
    INFO(kind);
    counted += c.accepted + c.rejected;
    CHECK(c.simulated + c.simulation_rejected == c.accepted);
    CHECK(c.accepted + c.rejected == 60);  // 300 inputs round-robin over 5 seeds
    simulated += c.simulated;
  }
  CHECK(counted + result.unexpected_exceptions == 300);
  // Some mutants survive parsing (a flipped digit of a width) and are simulated to the end.
  CHECK(simulated >= 5);
}

TEST_CASE("the same campaign seed replays the same counts") {
  const auto catalog = config::Catalog(SWITCHSIM_SOURCE_DIR);
  const std::vector<fuzz::SeedInput> seeds{{"model", source_text("models/switch-base-8.json")},
                                           {"cluster", source_text("hardware/dgx-h100-8.json")}};
  const fuzz::SimulationBase base{catalog.model("switch-base-8"), catalog.cluster("dgx-h100-8"), &catalog};
  fuzz::CampaignOptions options;
  options.seed = 99;
  options.inputs = 100;
  options.per_input_limit_s = 5.0;
  const auto a = fuzz::run_campaign(seeds, base, options, [](const fuzz::Finding&) {});
  const auto b = fuzz::run_campaign(seeds, base, options, [](const fuzz::Finding&) {});
  for (const auto& kind : {"model", "cluster"}) {
    CHECK(a.kinds.at(kind).accepted == b.kinds.at(kind).accepted);
    CHECK(a.kinds.at(kind).simulated == b.kinds.at(kind).simulated);
  }
}
