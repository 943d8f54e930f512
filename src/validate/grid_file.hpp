#pragma once
// A named grid of layers in a file, for validations whose configurations are chosen once and
// kept (traces/held-out/cpu-held-out.json: the held-out grid of issue 15). Format:
//   {"name": "...", "description": "...", "ranks": R,
//    "configs": [{"experts": E, "capacity_factor": cf, "tokens_per_rank": T, "d_model": d,
//                 "d_ff": f, "top_k": k (1), "padding": "capacity"|"dropless" ("capacity"),
//                 "routing": "uniform"|"zipf:S"|"hot:F" ("uniform"), "ffn": "relu"|"geglu"
//                 ("relu"), "seed": s (1), "min_capacity": m (4)}, ...]}
// Errors (config::ConfigError) name the file and the JSON pointer of the field; unknown fields
// are refused.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ref/measurement.hpp"

namespace switchsim::validate {

struct LayerGridFile {
  std::string name;
  std::string description;
  std::vector<ref::LayerSpec> specs;  // target `target`, ranks R each
};

LayerGridFile parse_grid_file(const nlohmann::json& document, const std::string& file, const std::string& target);

// Where the held-out grid lives, relative to the data directory.
inline constexpr const char* kHeldOutGrid = "traces/held-out/cpu-held-out.json";

}  // namespace switchsim::validate
