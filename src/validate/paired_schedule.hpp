#pragma once
// Which calibration shapes an oracle round samples right before which config (validate
// --oracle's paired schedule, validate/cpu_reference.cpp).
//
// Why pair: on this project's VM the machine's speed wanders by 6-21% between the rounds of one
// run, on a scale of seconds, with no other process using the CPUs (traces/measured/README.md).
// An oracle round used to sample all of its ~1,800 shapes (half a minute) and then time every
// config: a config's shapes and its layer were measured up to half a minute apart, in different
// phases of that wander, and the median over 8 rounds kept 3-4% of it per config (the spread of
// ln(predicted / measured) over ten runs of the same 48 configs; the medians of |err| over those
// runs went from 1.5% to 6.9%). Sampling a config's own shapes right before its layer runs puts
// both within about a second of each other. Measured (traces/measured/README.md, session 16):
// oracle medians of 1.7-3.3% in seven of eight runs, but one layer's scatter after each run's
// offset fell only from 2.8% to 2.5%, and the run-level offset (the host slowing the
// calibration about twice as much as the layers) is untouched.
//
// Every shape is sampled exactly once a round (the drift check reads one sample per shape per
// round): a shape several configs use goes with the first of them, and the shapes no config
// uses (the fixed grid's, kept for the profile columns) go last, in `rest`.

#include <cstddef>
#include <vector>

namespace switchsim::validate {

struct PairedShapes {
  std::vector<std::vector<std::size_t>> per_config;  // shape indices sampled before config c, ascending
  std::vector<std::size_t> rest;                      // the others, ascending
};

// `uses[c]`: the indices (into the plan's shapes, all below `shapes`) config c's prediction looks
// up, in any order, repeats allowed. Throws std::out_of_range for an index not below `shapes`.
PairedShapes pair_shapes_with_configs(const std::vector<std::vector<std::size_t>>& uses, std::size_t shapes);

}  // namespace switchsim::validate
