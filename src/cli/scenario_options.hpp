#pragma once
#include <CLI/CLI.hpp>

#include "model/scenario.hpp"

namespace switchsim::cli {

// The options that describe one simulation point, shared by simulate, sweep and advise.
void add_scenario_options(CLI::App& cmd, model::Scenario& scenario, bool require_model_and_cluster = true);

}  // namespace switchsim::cli
