#pragma once
// The phases of one training step on a device. Each is a task category of the simulated step
// graph and a `<phase>_time_s` column of a result row, in this order.

#include <array>
#include <cstddef>
#include <string_view>

namespace switchsim::moe {

enum class Phase : std::size_t {
  embedding,
  attention,
  dense_ffn,
  router,
  dispatch,
  alltoall_dispatch,
  expert_ffn,
  alltoall_combine,
  combine,
  mp_allreduce,
  allreduce,
  optimizer,
  other,
};

inline constexpr std::array<std::string_view, 13> kStepPhases{
    "embedding", "attention",        "dense_ffn", "router",    "dispatch",     "alltoall_dispatch", "expert_ffn",
    "alltoall_combine", "combine",   "mp_allreduce", "allreduce", "optimizer", "other"};

constexpr std::string_view phase_name(Phase p) { return kStepPhases[static_cast<std::size_t>(p)]; }

static_assert(phase_name(Phase::other) == "other", "kStepPhases follows the order of Phase");
static_assert(phase_name(Phase::router) == "router", "kStepPhases follows the order of Phase");

}  // namespace switchsim::moe
