#include "fuzz/campaign.hpp"

#include <ctime>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <memory>
#include <stdexcept>

#include <unistd.h>

#include "comm/closed_form.hpp"
#include "config/device_config.hpp"
#include "config/error.hpp"
#include "config/json_file.hpp"
#include "fuzz/mutator.hpp"
#include "fuzz/scratch_dir.hpp"
#include "model/scenario.hpp"
#include "model/simulate.hpp"
#include "sweep/grid.hpp"

namespace switchsim::fuzz {
namespace {

// CPU time of this thread: a hang or a quadratic loop burns it, a loaded machine does not
// inflate it (wall time would make findings of inputs that merely waited for a core).
double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// One simulation of a small step: batch = one sequence per device.
void simulate_small(config::ModelConfig model, const config::ClusterConfig& cluster,
                    std::optional<model::RoutingSpec> routing = std::nullopt) {
  model::StepInputs in;
  in.model = std::move(model);
  in.cluster = cluster;
  in.capacity_factor = in.model.capacity_factor_train;
  in.layout = model::parse_layout("", cluster.devices, in.model.experts.value_or(1));
  in.batch_tokens = in.model.seq_len_input * in.layout.dp;
  if (routing) in.routing = *routing;
  const auto comm = comm::closed_form_comm(in.cluster);
  model::simulate_step(in, *comm, false);
}

// Simulates an accepted input; returns false when the simulator refused it cleanly.
bool simulate_accepted(const std::string& kind, const std::string& text, const std::string& name,
                       const SimulationBase& base, const std::filesystem::path& scratch) {
  try {
    if (kind == "model") {
      simulate_small(config::parse_model(config::parse_json_text(text, name), name), base.cluster);
    } else if (kind == "device") {
      auto json = config::parse_json_text(text, name);
      if (json.is_object()) json.erase("type");
      auto cluster = base.cluster;
      cluster.device = config::parse_device(json, name);
      simulate_small(base.model, cluster);
    } else if (kind == "cluster") {
      const auto cluster = config::parse_cluster(config::parse_json_text(text, name), name,
                                                 [&](const std::string&) { return base.cluster.device; });
      simulate_small(base.model, cluster);
    } else if (kind == "trace") {
      auto m = base.model;
      const auto routing = model::load_routing_trace(scratch, 4);
      m.experts = 4;
      m.top_k = 1;
      simulate_small(m, base.cluster, routing);
    } else if (kind == "grid") {
      if (base.catalog == nullptr) return true;
      auto scenario = sweep::load_grid(scratch).point(0);
      // Batch: one sequence per device (and microbatch), from the point's own model and cluster.
      const auto model = base.catalog->model(scenario.model);
      const auto cluster = base.catalog->cluster(scenario.cluster);
      scenario.batch_tokens = scenario.seq_len.value_or(model.seq_len_input) * cluster.devices * scenario.microbatches;
      const auto in = model::make_inputs(scenario, *base.catalog);
      const auto comm = comm::closed_form_comm(in.cluster);
      model::simulate_step(in, *comm, false);
    }
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  } catch (const config::ConfigError&) {
    return false;
  } catch (const OverflowError&) {
    return false;
  }
}

}  // namespace

CampaignResult run_campaign(const std::vector<SeedInput>& seeds, const SimulationBase& base,
                            const CampaignOptions& options, const std::function<void(const Finding&)>& on_finding) {
  CampaignResult result;
  if (seeds.empty()) return result;
  Mutator mutator(options.seed);
  const ScratchDir scratch;
  const auto file = scratch.path() / "input.json";
  for (std::int64_t i = 0; i < options.inputs; ++i) {
    const auto& seed = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const std::string mutant = mutator.mutate(seed.text);
    auto& counts = result.kinds[seed.kind];
    const double start = thread_cpu_seconds();
    try {
      const ParseOutcome outcome = parse_as(seed.kind, mutant, "fuzz.json", file);
      if (outcome == ParseOutcome::accepted) {
        ++counts.accepted;
        if (options.simulate) {
          if (simulate_accepted(seed.kind, mutant, "fuzz.json", base, file)) ++counts.simulated;
          else ++counts.simulation_rejected;
        }
      } else {
        ++counts.rejected;
      }
    } catch (const std::exception& e) {
      ++result.unexpected_exceptions;
      on_finding(Finding{i, seed.kind, mutant, std::string("unexpected exception: ") + e.what()});
    }
    const double seconds = thread_cpu_seconds() - start;
    if (seconds > result.slowest_input_s) {
      result.slowest_input_s = seconds;
      result.slowest_index = i;
    }
    if (seconds > options.per_input_limit_s) {
      ++result.over_time_limit;
      on_finding(Finding{i, seed.kind, mutant, "took " + std::to_string(seconds) + " s of CPU time"});
    }
    ++result.inputs;
  }
  return result;
}

}  // namespace switchsim::fuzz
