#include "advise/search.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <variant>

#include "advise/memory_bound.hpp"
#include "model/model_stats.hpp"
#include "model/sampled_counts.hpp"
#include "model/simulate.hpp"
#include "sweep/dense_baseline.hpp"
#include "advise/text_units.hpp"

namespace switchsim::advise {

std::string family_model(const config::Catalog& catalog, const std::string& family) {
  std::string first;
  for (const auto& name : catalog.model_names()) {
    if (name.rfind(family + "-", 0) != 0) continue;
    const std::string suffix = name.substr(family.size() + 1);
    if (suffix.empty() || suffix.find_first_not_of("0123456789") != std::string::npos) continue;
    if (suffix == "128") return name;
    if (first.empty()) first = name;
  }
  if (first.empty())
    throw std::invalid_argument("--family " + family + ": no shipped model named " + family + "-<experts> in " +
                                (catalog.data_dir() / "models").string());
  return first;
}

config::ClusterConfig first_devices(const config::ClusterConfig& cluster, std::int64_t devices) {
  if (devices == cluster.devices) return cluster;
  if (devices <= 0 || devices > cluster.devices)
    throw std::invalid_argument(fmt::format("--devices {}: the cluster {} has {} devices", devices, cluster.name,
                                            cluster.devices));
  auto out = cluster;
  out.devices = devices;
  out.name = fmt::format("{}-first-{}", cluster.name, devices);
  if (auto* s = std::get_if<config::NvSwitchSpec>(&out.topology)) {
    s->endpoints = devices;
  } else if (auto* f = std::get_if<config::FatTreeSpec>(&out.topology)) {
    if (devices % f->endpoints_per_node != 0)
      throw std::invalid_argument(fmt::format("--devices {}: must be whole nodes of {} devices", devices,
                                              f->endpoints_per_node));
    f->nodes = devices / f->endpoints_per_node;
    while (f->nodes % f->nodes_per_leaf != 0) --f->nodes_per_leaf;
  } else {
    throw std::invalid_argument("--devices: only nvswitch and fat-tree clusters can be cut down; write a cluster file");
  }
  return out;
}

std::int64_t devices_per_node(const config::ClusterConfig& cluster) {
  const auto& t = cluster.topology;
  if (const auto* f = std::get_if<config::FatTreeSpec>(&t)) return f->intra_node ? f->endpoints_per_node : 1;
  if (const auto* s = std::get_if<config::NvSwitchSpec>(&t)) return s->endpoints;
  if (const auto* s = std::get_if<config::TorusSpec>(&t)) return s->endpoints_per_chip;
  return 1;
}

std::vector<model::ParallelLayout> candidate_layouts(std::int64_t devices, std::int64_t node, std::int64_t experts,
                                                     const std::vector<std::int64_t>& tensor_parallel) {
  std::vector<model::ParallelLayout> layouts;
  for (std::int64_t tp : tensor_parallel) {
    if (node % tp != 0 || devices % tp != 0) continue;
    const std::int64_t dp = devices / tp;
    for (std::int64_t ep = dp; ep >= 1; --ep) {
      const bool power_of_two = (ep & (ep - 1)) == 0;
      if (!power_of_two || dp % ep != 0 || experts % ep != 0) continue;
      layouts.push_back({dp, tp, ep});
    }
  }
  return layouts;
}

double memory_allowed_bytes(const model::MemoryBreakdown& memory, const Limits& limits) {
  return static_cast<double>(memory.capacity.count()) * (1.0 - limits.memory_headroom);
}

void apply_step_option(model::Scenario& scenario, const std::string& option, const std::string& value) {
  // The step-fidelity options (issue 14); make_inputs validates the values.
  if (option == "remat") scenario.remat = value;
  else if (option == "dispatch") scenario.dispatch = value;
  else throw std::invalid_argument(fmt::format("--{} {}: advise searches no such step option", option, value));
}

model::StepInputs inputs_of(const Candidate& c, const config::Catalog& catalog) {
  return model::make_inputs(c.scenario, catalog);
}

std::vector<std::int64_t> microbatch_ladder(const model::StepInputs& in) {
  std::vector<std::int64_t> ladder;
  const std::int64_t sequences = in.batch_tokens / in.model.seq_len_input;
  if (in.batch_tokens % in.model.seq_len_input != 0 || sequences % in.layout.dp != 0) return ladder;
  const std::int64_t per_device = sequences / in.layout.dp;
  for (std::int64_t m = 1; m <= per_device; m *= 2)
    if (per_device % m == 0) ladder.push_back(m);
  return ladder;
}

namespace {


void set_memory(Candidate& c, const model::MemoryBreakdown& memory, const Limits&) {
  c.memory_known = true;
  c.memory = memory;
  c.memory_used_bytes = static_cast<double>(memory.total().count());
  c.memory_capacity_bytes = static_cast<double>(memory.capacity.count());
  c.headroom_frac = c.memory_capacity_bytes > 0 ? 1.0 - c.memory_used_bytes / c.memory_capacity_bytes : 0.0;
}

// Rejects on memory; true when rejected.
bool judge_memory(Candidate& c, const Limits& limits) {
  const char* when = c.simulated ? "" : " (computed before simulating)";
  if (c.memory.oom()) {
    c.rejected = fmt::format("out of memory: needs {:.1f} GiB of {:.1f} GiB{}", c.memory_used_bytes / kGiB,
                             c.memory_capacity_bytes / kGiB, when);
    c.rejected_kind = "out of memory";
    return true;
  }
  if (c.headroom_frac < limits.memory_headroom) {
    c.rejected = fmt::format("only {:.1f}% of device memory free, below the {:.0f}% headroom{}", 100 * c.headroom_frac,
                             100 * limits.memory_headroom, when);
    c.rejected_kind = "below memory headroom";
    return true;
  }
  return false;
}

void judge(Candidate& c, const model::StepInputs& in, const model::StepResult& r, std::optional<double> dense_s,
           const Limits& limits, const SampleEfficiency* efficiency) {
  c.simulated = true;
  c.step_time_s = r.step_time.seconds();
  set_memory(c, r.memory, limits);
  c.dropped_token_frac = r.dropped_token_frac;
  for (const char* phase : {"alltoall_dispatch", "alltoall_combine"})
    if (auto it = r.phase_time.find(phase); it != r.phase_time.end()) c.alltoall_time_s += it->second.seconds();
  c.alltoall_share = c.step_time_s > 0 ? c.alltoall_time_s / c.step_time_s : 0.0;
  c.dense_step_time_s = dense_s;
  if (efficiency) {
    c.steps_to_quality = efficiency->steps_to_quality(c.experts, c.top_k, in.batch_tokens);
    if (c.steps_to_quality) {
      c.time_to_quality_s = *c.steps_to_quality * c.step_time_s;
      c.time_to_quality_extrapolated = efficiency->extrapolated(in.batch_tokens);
    }
  }
  if (judge_memory(c, limits)) return;
  if (c.dropped_token_frac > limits.max_drop_frac) {
    c.rejected = fmt::format("drops {:.2f}% of tokens, above the {:.2f}% limit", 100 * c.dropped_token_frac,
                             100 * limits.max_drop_frac);
    c.rejected_kind = "too many dropped tokens";
  }
}

void mark_invalid(Candidate& c, const std::string& why) {
  c.rejected = "invalid: " + why;
  c.rejected_kind = "invalid";
}

// Per-thread state: collective models per cluster and dense-baseline step times (reused by
// every point whose dense point is the same: sweep/dense_baseline.hpp).
class Worker {
 public:
  Worker(const config::Catalog& catalog, const sweep::CommFactory& make_comm)
      : comms_(make_comm), baselines_(catalog) {}

  model::StepResult simulate(const model::StepInputs& in) {
    return model::simulate_step(in, comms_.for_cluster(in.cluster), false, &sampled_counts_);
  }

  // The dense baseline's step time; none when the model names none or its point is invalid
  // (the dense model's batch may not split where the sparse one's does).
  std::optional<double> dense_baseline(const model::StepInputs& in, const model::Scenario& s) {
    try {
      return baselines_.step_time_s(in, s, comms_.for_cluster(in.cluster));
    } catch (const std::invalid_argument&) {
      return std::nullopt;
    }
  }

 private:
  sweep::CommModels comms_;
  sweep::DenseBaselines baselines_;
  // Points differing only in capacity factor, remat, dispatch or optimizer draw the same loads.
  model::SampledCountsCache sampled_counts_;
};

struct Pending {
  std::size_t candidate = 0;
  model::StepInputs inputs;
};

// Simulates the pending points on `threads` workers; each candidate is written by one worker only.
void simulate_pending(std::vector<Candidate>& candidates, const std::vector<Pending>& pending, const Limits& limits,
                      const SampleEfficiency* efficiency, const config::Catalog& catalog,
                      const sweep::CommFactory& make_comm, int threads, const sweep::ProgressFn& progress) {
  std::int64_t done = 0;
  auto make_worker = [&]() -> sweep::ItemFn {
    auto worker = std::make_shared<Worker>(catalog, make_comm);
    return [&, worker](std::size_t i) {
      auto& c = candidates[pending[i].candidate];
      try {
        const auto result = worker->simulate(pending[i].inputs);
        judge(c, pending[i].inputs, result, worker->dense_baseline(pending[i].inputs, c.scenario), limits, efficiency);
      } catch (const std::invalid_argument& e) {
        mark_invalid(c, e.what());
      }
    };
  };
  sweep::ItemFn after_each;
  if (progress) after_each = [&](std::size_t) { progress(++done, static_cast<std::int64_t>(pending.size())); };
  sweep::parallel_for(pending.size(), threads, make_worker, after_each);
}

// The values of one searched option axis; {""} when it is not searched.
std::vector<std::string> axis_or_default(const std::vector<std::string>& values) {
  return values.empty() ? std::vector<std::string>{""} : values;
}

}  // namespace

std::vector<Candidate> search(const SearchSpec& spec, const Limits& limits, const SampleEfficiency* efficiency,
                              const config::Catalog& files, const sweep::CommFactory& make_comm, int threads,
                              const sweep::ProgressFn& progress) {
  const config::Catalog catalog = files.remembering();  // one read of the model and cluster, not one per point
  const auto cluster = catalog.cluster(spec.cluster);
  const std::int64_t node = devices_per_node(cluster);
  bool any_layout = false;
  for (auto e : spec.experts) any_layout = any_layout || !candidate_layouts(cluster.devices, node, e, spec.tensor_parallel).empty();
  if (!any_layout)
    throw std::invalid_argument(fmt::format(
        "no parallel layout fits: {} devices ({} a node) admit no tp of the {} tried that divides the node",
        cluster.devices, node, spec.tensor_parallel.size()));

  std::vector<Candidate> candidates;
  std::vector<Pending> pending;
  auto add = [&](const model::Scenario& s) -> Candidate& {
    Candidate c;
    c.index = static_cast<std::int64_t>(candidates.size());
    c.scenario = s;
    c.experts = s.experts.value_or(0);
    c.top_k = s.top_k.value_or(1);
    c.capacity_factor = s.capacity_factor.value_or(1.0);
    c.layout = s.layout;
    c.batch_tokens = s.batch_tokens;
    c.microbatches = s.microbatches;
    candidates.push_back(std::move(c));
    return candidates.back();
  };

  model::Scenario base;
  base.model = spec.model;
  base.cluster = spec.cluster;
  base.routing = spec.routing;
  base.padding = spec.padding;
  base.group_size = spec.group_size;
  base.seed = spec.seed;
  for (auto batch : spec.batch_tokens)
    for (auto top_k : spec.top_ks)
      for (auto experts : spec.experts)
        for (double cf : spec.capacity_factors)
          for (const auto& layout : candidate_layouts(cluster.devices, node, experts, spec.tensor_parallel))
            for (const auto& remat : axis_or_default(spec.remat))
              for (const auto& dispatch : axis_or_default(spec.dispatch)) {
                model::Scenario s = base;
                s.batch_tokens = batch;
                s.top_k = top_k;
                s.experts = experts;
                s.capacity_factor = cf;
                s.layout = layout.text();
                s.microbatches = 1;
                if (!remat.empty()) apply_step_option(s, "remat", remat);
                if (!dispatch.empty()) apply_step_option(s, "dispatch", dispatch);
                // One make_inputs (file reads, validation) per point; microbatch variants are copies.
                std::optional<model::StepInputs> in;
                std::string why;
                try {
                  in = model::make_inputs(s, catalog);
                } catch (const std::invalid_argument& e) {
                  why = e.what();
                }
                std::vector<std::int64_t> counts = spec.microbatches;
                const bool automatic = counts.empty();
                if (in && automatic) counts = microbatch_ladder(*in);
                if (!in || counts.empty()) {
                  // Invalid as it stands: its reason (or the batch split's) once, at 1 microbatch.
                  auto& c = add(s);
                  c.remat = remat;
                  c.dispatch = dispatch;
                  if (in) {
                    try {
                      model::token_shape(*in);
                    } catch (const std::invalid_argument& e) {
                      why = e.what();
                    }
                  }
                  mark_invalid(c, why.empty() ? "the batch does not split into whole sequences per device" : why);
                  continue;
                }
                double fewer_bytes = 0;
                for (std::size_t k = 0; k < counts.size(); ++k) {
                  s.microbatches = counts[k];
                  auto inputs = *in;
                  inputs.microbatches = counts[k];
                  std::optional<MemoryEstimate> estimate;
                  std::string split_error;
                  try {
                    estimate = memory_before_simulating(inputs);
                  } catch (const std::invalid_argument& e) {
                    split_error = e.what();
                  }
                  const bool last = k + 1 == counts.size();
                  if (automatic && estimate && !last &&
                      static_cast<double>(estimate->memory.total().count()) > memory_allowed_bytes(estimate->memory, limits)) {
                    fewer_bytes = static_cast<double>(estimate->memory.total().count());
                    continue;  // auto: try more microbatches
                  }
                  auto& c = add(s);
                  c.fewer_microbatches_memory_bytes = fewer_bytes;
                  c.remat = remat;
                  c.dispatch = dispatch;
                  c.params = model::compute_stats(inputs.model).params_total;
                  if (!estimate) {
                    mark_invalid(c, split_error);
                  } else {
                    set_memory(c, estimate->memory, limits);
                    const bool over = static_cast<double>(estimate->memory.total().count()) >
                                      memory_allowed_bytes(estimate->memory, limits);
                    if (over) {
                      c.memory_before_simulating = true;
                      judge_memory(c, limits);
                    } else {
                      pending.push_back({candidates.size() - 1, std::move(inputs)});
                    }
                  }
                  if (automatic) break;
                }
              }
  simulate_pending(candidates, pending, limits, efficiency, catalog, make_comm, threads, progress);
  return candidates;
}

}  // namespace switchsim::advise
