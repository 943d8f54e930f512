#pragma once
// Where an expert-parallel group's tokens go when every assignment is kept (dropless padding):
// n members, each with per-expert token counts; experts sharded contiguously (member j hosts
// experts [j*E/n, (j+1)*E/n)). Used by the step simulation and the single-layer prediction.

#include <cstdint>
#include <vector>

#include "units/units.hpp"

namespace switchsim::model {

struct DroplessPlacement {
  std::vector<std::vector<Bytes>> matrix;  // bytes member i sends member j (the alltoallv)
  std::vector<std::int64_t> critical_rows;  // rows of each local expert on the member that receives the most
  std::int64_t critical_received = 0;       // their sum
};

// member_counts[i][e]: assignments of member i's tokens to expert e (all members the same E,
// E divisible by the member count). The critical member is the first of those receiving the most.
DroplessPlacement place_dropless(const std::vector<std::vector<std::int64_t>>& member_counts, Bytes bytes_per_row);

}  // namespace switchsim::model
