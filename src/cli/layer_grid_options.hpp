#pragma once
// The command-line options that fill a validate::LayerGrid (the grid of Switch layers `measure`
// and `validate` run); each help string states the command's own default.

#include <CLI/CLI.hpp>

#include "validate/layer_grid.hpp"

namespace switchsim::cli {

// --ranks, --experts, --capacity-factor, --tokens, --d-model, --d-ff, --ffn, --top-k, --padding,
// --seed, --min-capacity; with `routing`, --routing; with `aux`, --no-aux-loss. Defaults are the
// current values of `o`.
void add_layer_grid_options(CLI::App* cmd, validate::LayerGrid& o, bool routing, bool aux);

}  // namespace switchsim::cli
