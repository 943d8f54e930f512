// `switchsim bench json`: hostile and large JSON files read the way every command reads its
// inputs (config::load_json_file: the whole file, the NUL check, the SAX pass that builds the
// document under limits.hpp's kMaxJson*). Issue 20's goal: the 60 MB array of empty objects in
// under 5 s (before the limits: 8.6 s, most of it nlohmann's DOM allocating 20 M objects).

#include <fmt/format.h>

#include <fstream>
#include <string>

#include "bench/benchmark.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/limits.hpp"
#include "fuzz/json_text.hpp"
#include "fuzz/scratch_dir.hpp"

namespace switchsim::bench {
namespace {

constexpr double kJsonGoalSeconds = 5.0;

// Writes `text` to a private file and reads it back as a command would; prints one row.
void time_json_case(const std::string& name, const std::string& text, const fuzz::ScratchDir& dir) {
  const auto path = dir.path() / "input.json";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  std::string outcome = "accepted";
  const double cpu_start = process_cpu_seconds();
  const double wall = time_seconds([&] {
    try {
      const auto json = config::load_json_file(path);  // built and freed, as `describe` does
    } catch (const config::ConfigError& e) {
      outcome = "refused at " + e.location() + ": " + e.message();
    }
  });
  const double cpu = process_cpu_seconds() - cpu_start;
  fmt::print("json/{:<50} bytes={:<9} cpu_s={:.2f} wall_s={:.2f} goal_s={:.0f} ratio_to_goal={:.2f}  {}\n", name,
             text.size(), cpu, wall, kJsonGoalSeconds, cpu / kJsonGoalSeconds, outcome);
}

void run_json(bool quick) {
  const fuzz::ScratchDir dir;
  const std::size_t scale = quick ? 10 : 1;
  time_json_case(fmt::format("{} empty objects in an array (issue 20)", 20'000'000 / scale),
                 fuzz::json_array_of(20'000'000 / scale, "{}"), dir);
  time_json_case(fmt::format("{} zeros in an array", 20'000'000 / scale), fuzz::json_array_of(20'000'000 / scale, "0"), dir);
  // Just under every limit at once: the costliest file switchsim accepts (objects with keys,
  // then numbers up to the value limit).
  {
    // Containers: the root, two arrays, the objects; keys: 2 + 2 per object; values: the
    // containers, each object's two members, the numbers.
    const auto objects = static_cast<std::size_t>(config::kMaxJsonKeys / 2 - 3);
    const auto numbers = static_cast<std::size_t>(config::kMaxJsonValues) - 3 - 3 * objects;
    std::string text = R"({"objects": )" + fuzz::json_array_of(objects / scale, R"({"a":0,"b":0})") + R"(, "numbers": )";
    text += fuzz::json_array_of(numbers / scale, "0") + "}";
    time_json_case(fmt::format("costliest accepted: {} two-key objects + numbers", objects / scale), text, dir);
  }
  {
    const std::string step = R"({"counts": )" + fuzz::json_array_of(2048, "512") + R"(, "router_prob": )" +
                             fuzz::json_array_of(2048, "0.00048828125") + "}";
    time_json_case(
        fmt::format("trace {} steps x 2048 experts + router_prob", 1000 / scale),
        R"({"experts": 2048, "tokens_per_group": 1048576, "steps": )" + fuzz::json_array_of(1000 / scale, step) + "}", dir);
  }
  {
    std::string row = "{";
    for (int c = 0; c < 40; ++c) row += fmt::format("{}\"column_{}\":1.25e-3", c > 0 ? "," : "", c);
    row += "}";
    time_json_case(fmt::format("results.json {} points x 40 columns", 47'000 / scale),
                   R"({"rows": )" + fuzz::json_array_of(47'000 / scale, row) + "}", dir);
  }
}

}  // namespace

Benchmark json_benchmark() {
  return Benchmark{
      "json",
      "hostile and large JSON files through load_json_file: the 60 MB array of empty objects (goal < 5 s), "
      "the costliest accepted file, a 1000 x 2048 routing trace, a 47k-point results.json",
      run_json};
}

}  // namespace switchsim::bench
