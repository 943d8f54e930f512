#include "advise/what_it_would_take.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "advise/explain.hpp"
#include "advise/memory_bound.hpp"
#include "advise/text_units.hpp"

namespace switchsim::advise {
namespace {

constexpr std::int64_t kMaxDeviceFactor = 64;  // more devices: up to 64x the cluster

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes / kGiB); }

double total(const model::MemoryBreakdown& m) { return static_cast<double>(m.total().count()); }

// The memory of changed inputs, or none when they do not make a valid point.
std::optional<model::MemoryBreakdown> memory_of(const model::StepInputs& in) {
  try {
    return memory_before_simulating(in).memory;
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

bool is_power_of_two(std::int64_t x) { return x > 0 && (x & (x - 1)) == 0; }

// The last valid change a lever tried, for "even ... does not fit".
struct LastTried {
  std::optional<model::MemoryBreakdown> memory;
  std::string what;
};

enum class Tried { invalid, too_big, fits };

// Tries one change of a lever: its memory (none when the changed inputs make no valid point),
// kept in `last`; when it fits, `c` takes it.
Tried try_change(Change& c, LastTried& last, const model::StepInputs& changed, std::string what, double allowed) {
  const auto memory = memory_of(changed);
  if (!memory) return Tried::invalid;
  last = {memory, std::move(what)};
  if (total(*memory) > allowed) return Tried::too_big;
  c.what = last.what;
  c.memory = *memory;
  c.fits = true;
  return Tried::fits;
}

// A lever's answer when none of its changes fit: the last valid one tried (`even`), or why
// there was none (`none`).
Change none_fits(Change c, const LastTried& last, std::string even, std::string none) {
  if (last.memory) {
    c.what = std::move(even);
    c.memory = *last.memory;
  } else {
    c.what = std::move(none);
  }
  return c;
}

Change microbatches(const model::StepInputs& in, double allowed) {
  Change c{"microbatches", "", {}, false};
  LastTried last;
  std::int64_t last_m = in.microbatches;
  for (auto m : microbatch_ladder(in)) {
    if (m <= in.microbatches) continue;
    auto changed = in;
    changed.microbatches = m;
    const auto tried = try_change(c, last, changed, fmt::format("{} microbatches (from {})", m, in.microbatches), allowed);
    if (tried == Tried::fits) return c;
    if (tried == Tried::too_big) last_m = m;
  }
  return none_fits(c, last, fmt::format("even {} microbatches (one sequence a device each) do not fit", last_m),
                   fmt::format("no more microbatches: {} already leaves one sequence a device each", in.microbatches));
}

Change remat(const Candidate& p, const config::Catalog& catalog, const std::vector<std::string>& policies, double allowed) {
  Change c{"remat", "", {}, false};
  if (policies.empty()) {
    c.what = "not available in this build's model";
    return c;
  }
  std::optional<model::MemoryBreakdown> best;
  std::string best_policy;
  for (const auto& policy : policies) {
    if (policy == p.remat) continue;
    auto s = p.scenario;
    try {
      apply_step_option(s, "remat", policy);
    } catch (const std::invalid_argument&) {
      continue;
    }
    std::optional<model::MemoryBreakdown> memory;
    try {
      memory = memory_of(model::make_inputs(s, catalog));
    } catch (const std::invalid_argument&) {
    }
    if (!memory) continue;
    if (total(*memory) <= allowed) {
      c.what = fmt::format("--remat {}{}", policy, p.remat.empty() ? "" : fmt::format(" (from {})", p.remat));
      c.memory = *memory;
      c.fits = true;
      return c;
    }
    if (!best || total(*memory) < total(*best)) {
      best = memory;
      best_policy = policy;
    }
  }
  if (best) {
    c.what = fmt::format("even --remat {} does not fit", best_policy);
    c.memory = *best;
  } else {
    c.what = "no other policy to try";
  }
  return c;
}

Change fewer_experts_per_device(const model::StepInputs& in, double allowed) {
  Change c{"fewer experts per device", "", {}, false};
  if (!in.model.is_moe()) {
    c.what = "the model has no experts";
    return c;
  }
  const std::int64_t experts = *in.model.experts;
  LastTried last;
  // First a larger expert-parallel degree (same model), then fewer experts (a smaller model).
  for (std::int64_t ep = in.layout.ep * 2; ep <= in.layout.dp && experts % ep == 0; ep *= 2) {
    auto changed = in;
    changed.layout.ep = ep;
    if (in.layout.dp % ep != 0) break;
    const auto what = fmt::format("ep={} ({} experts a device instead of {})", ep, experts / ep, experts / in.layout.ep);
    if (try_change(c, last, changed, what, allowed) == Tried::fits) return c;
  }
  std::int64_t ep = in.layout.ep;
  while (ep * 2 <= in.layout.dp && experts % (ep * 2) == 0 && in.layout.dp % (ep * 2) == 0) ep *= 2;
  for (std::int64_t e = experts / 2; e >= 1 && is_power_of_two(e); e /= 2) {
    auto changed = in;
    changed.model.experts = e;
    changed.model.top_k = std::min(in.model.top_k, e);
    changed.layout.ep = std::min(ep, e);
    const auto what = fmt::format("{} experts over ep={} ({} a device instead of {}; a smaller model)", e,
                                  changed.layout.ep, e / changed.layout.ep, experts / in.layout.ep);
    if (try_change(c, last, changed, what, allowed) == Tried::fits) return c;
  }
  return none_fits(c, last, "even " + last.what + " does not fit", "already one expert a device");
}

Change more_devices(const model::StepInputs& in, double allowed) {
  Change c{"more devices", "", {}, false};
  LastTried last;
  for (std::int64_t f = 2; f <= kMaxDeviceFactor; f *= 2) {
    auto changed = in;
    changed.cluster.devices = in.cluster.devices * f;
    changed.layout.dp = in.layout.dp * f;
    if (in.model.is_moe()) {
      std::int64_t ep = in.layout.ep;
      while (ep * 2 <= std::min(changed.layout.dp, *in.model.experts) && *in.model.experts % (ep * 2) == 0 &&
             ep * 2 <= in.layout.ep * f)
        ep *= 2;
      changed.layout.ep = ep;
    }
    const auto what = fmt::format("{} devices of this kind (from {}), dp={},tp={},ep={}", changed.cluster.devices,
                                  in.cluster.devices, changed.layout.dp, changed.layout.tp, changed.layout.ep);
    const auto tried = try_change(c, last, changed, what, allowed);
    if (tried == Tried::fits) return c;
    if (tried == Tried::invalid) break;  // the batch no longer splits over the devices
  }
  return none_fits(c, last, "even " + last.what + " do not fit", "the batch does not split over more devices");
}

}  // namespace

std::vector<std::pair<std::string, double>> memory_components(const model::MemoryBreakdown& m) {
  return {{"weights", static_cast<double>(m.weights.count())},
          {"gradients", static_cast<double>(m.gradients.count())},
          {"optimizer states", static_cast<double>(m.optimizer_states.count())},
          {"activations", static_cast<double>(m.activations.count())},
          {"all-to-all buffers", static_cast<double>(m.alltoall_buffers.count())},
          {"total", static_cast<double>(m.total().count())}};
}

std::optional<WhatItWouldTake> what_it_would_take(const std::vector<Candidate>& candidates, const Limits& limits,
                                                  const config::Catalog& catalog,
                                                  const std::vector<std::string>& remat_policies) {
  std::optional<std::size_t> closest;
  double closest_ratio = 0;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    if (!c.memory_known || (c.rejected_kind != "out of memory" && c.rejected_kind != "below memory headroom")) continue;
    const double ratio = c.memory_used_bytes / memory_allowed_bytes(c.memory, limits);
    if (!closest || ratio < closest_ratio) {
      closest = i;
      closest_ratio = ratio;
    }
  }
  if (!closest) return std::nullopt;
  WhatItWouldTake w;
  w.closest = *closest;
  const auto& p = candidates[*closest];
  w.allowed_bytes = memory_allowed_bytes(p.memory, limits);
  w.headroom_frac = limits.memory_headroom;
  const auto in = inputs_of(p, catalog);
  w.changes.push_back(microbatches(in, w.allowed_bytes));
  w.changes.push_back(remat(p, catalog, remat_policies, w.allowed_bytes));
  w.changes.push_back(fewer_experts_per_device(in, w.allowed_bytes));
  w.changes.push_back(more_devices(in, w.allowed_bytes));
  for (std::size_t k = 0; k < w.changes.size() && !w.smallest; ++k)
    if (w.changes[k].fits) w.smallest = k;
  return w;
}

std::string smallest_change_line(const WhatItWouldTake& w, const std::vector<Candidate>& candidates) {
  const auto& p = candidates[w.closest];
  const std::string closest = fmt::format("the closest point ({}) needs {} of the {} allowed", describe_point(p),
                                          gib(p.memory_used_bytes), gib(w.allowed_bytes));
  if (!w.smallest) return closest + "; no single change searched fits (see the breakdown above)";
  const auto& c = w.changes[*w.smallest];
  return fmt::format("{}; the smallest change that fits: {} ({})", closest, c.what, gib(total(c.memory)));
}

std::string what_it_would_take_text(const WhatItWouldTake& w, const std::vector<Candidate>& candidates) {
  const auto& p = candidates[w.closest];
  std::string out = fmt::format(
      "What it would take: no searched point fits in {} a device ({} less the {:.0f}% headroom).\n"
      "The closest point, {}, needs {}:\n",
      gib(w.allowed_bytes), gib(p.memory_capacity_bytes), 100 * w.headroom_frac, describe_point(p),
      gib(p.memory_used_bytes));
  for (const auto& [name, bytes] : memory_components(p.memory)) out += fmt::format("  {:<20} {:>10}\n", name, gib(bytes));
  if (w.smallest) {
    const auto& c = w.changes[*w.smallest];
    out += fmt::format("The smallest change that fits: {} -> {}.\n", c.what, gib(total(c.memory)));
  } else {
    out += "No single change fits.\n";
  }
  for (std::size_t k = 0; k < w.changes.size(); ++k) {
    if (w.smallest && k == *w.smallest) continue;
    const auto& c = w.changes[k];
    out += fmt::format("  {}: {}{}\n", c.lever, c.what,
                       c.memory.capacity.count() > 0 ? fmt::format(" -> {}", gib(total(c.memory))) : "");
  }
  return out;
}

nlohmann::ordered_json what_it_would_take_json(const WhatItWouldTake& w, const std::vector<Candidate>& candidates) {
  const auto& p = candidates[w.closest];
  nlohmann::ordered_json j;
  j["memory_allowed_bytes"] = w.allowed_bytes;
  j["closest_point"] = describe_point(p);
  nlohmann::ordered_json memory;
  for (const auto& [name, bytes] : memory_components(p.memory)) {
    std::string key = name;
    std::replace(key.begin(), key.end(), ' ', '_');
    std::replace(key.begin(), key.end(), '-', '_');
    memory[key + "_bytes"] = bytes;
  }
  j["closest_point_memory"] = memory;
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : w.changes) {
    nlohmann::ordered_json cj;
    cj["lever"] = c.lever;
    cj["what"] = c.what;
    cj["fits"] = c.fits;
    if (c.memory.capacity.count() > 0) cj["memory_used_bytes"] = total(c.memory);
    j["changes"].push_back(std::move(cj));
  }
  j["smallest_change"] = w.smallest ? nlohmann::ordered_json(w.changes[*w.smallest].what) : nlohmann::ordered_json(nullptr);
  return j;
}

}  // namespace switchsim::advise
