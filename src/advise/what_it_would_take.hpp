#pragma once
// When no searched point is feasible for memory: the point closest to fitting (smallest
// memory used / memory allowed), its memory per component, and the smallest change that
// would make it fit. The changes are tried on that point, one lever at a time, each with
// the memory model advise prunes with (advise/memory_bound.hpp), in order of what they cost
// the user:
//   1. more microbatches (same model and batch; more, smaller steps of gradient accumulation),
//   2. a rematerialization policy (same model; the backward pass recomputes activations),
//   3. fewer experts per device (a larger expert-parallel degree, then fewer experts),
//   4. more devices of the same kind (dp grows, experts spread over more of them).
// "Smallest" is the first lever, in that order, that fits; the others that fit are listed too.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "advise/search.hpp"
#include "config/catalog.hpp"
#include "model/memory.hpp"

namespace switchsim::advise {

struct Change {
  std::string lever;  // microbatches, remat, fewer experts per device, more devices
  std::string what;   // "32 microbatches (from 16)"
  model::MemoryBreakdown memory;
  bool fits = false;
};

struct WhatItWouldTake {
  std::size_t closest = 0;  // index into the candidates
  double allowed_bytes = 0;
  double headroom_frac = 0;
  std::vector<Change> changes;  // one per lever tried, in the order above
  std::optional<std::size_t> smallest;  // index into changes: the first that fits
};

// None when no candidate was rejected for memory (the search failed for other reasons).
// `remat_policies`: the policies this build's model knows, tried in order (may be empty).
std::optional<WhatItWouldTake> what_it_would_take(const std::vector<Candidate>& candidates, const Limits& limits,
                                                  const config::Catalog& catalog,
                                                  const std::vector<std::string>& remat_policies);

// "24 microbatches (from 16): 60.1 GiB of 72.0 GiB allowed" etc., several lines.
std::string what_it_would_take_text(const WhatItWouldTake& w, const std::vector<Candidate>& candidates);
// One line for the error message: the smallest change, or that no single change fits.
std::string smallest_change_line(const WhatItWouldTake& w, const std::vector<Candidate>& candidates);
nlohmann::ordered_json what_it_would_take_json(const WhatItWouldTake& w, const std::vector<Candidate>& candidates);

// weights, gradients, optimizer states, activations, all-to-all buffers, total: name and bytes.
std::vector<std::pair<std::string, double>> memory_components(const model::MemoryBreakdown& m);

}  // namespace switchsim::advise
