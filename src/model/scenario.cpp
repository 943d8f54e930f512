#include "model/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "model/dispatch_cost.hpp"
#include "model/precision.hpp"
#include "config/limits.hpp"

namespace switchsim::model {
namespace {
DType dtype_option(const std::string& option, const std::string& value) {
  try {
    return parse_dtype(value);
  } catch (const std::invalid_argument&) {
    throw std::invalid_argument(option + ": unknown dtype '" + value + "' (use fp32, tf32 or bf16)");
  }
}

template <class T, class Parse>
T option(const std::string& name, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(name + ": " + e.what());
  }
}

// "auto" (absent: the fastest of `allowed` per request) or one of `allowed`, by name.
std::optional<CommAlgorithm> algorithm_choice(const std::string& option_name, const std::string& value,
                                              std::initializer_list<CommAlgorithm> allowed) {
  if (value == "auto") return std::nullopt;
  const auto algorithm = parse_comm_algorithm(value);
  if (algorithm && std::find(allowed.begin(), allowed.end(), *algorithm) != allowed.end()) return algorithm;
  std::vector<std::string> names;
  for (auto a : allowed) names.push_back(comm_algorithm_name(a));
  throw std::invalid_argument(
      fmt::format("{} must be {} or auto, got '{}'", option_name, fmt::join(names, ", "), value));
}

// --dispatch, --group-size, --remat, --matmul-precision.
void apply_step_options(const Scenario& s, StepInputs& in) {
  in.dispatch = option<Dispatch>("--dispatch", s.dispatch.value_or(in.cluster.device.dispatch), parse_dispatch);
  if (in.dispatch == Dispatch::grouped) in.padding = Padding::dropless;
  if (in.dispatch == Dispatch::einsum && in.padding == Padding::dropless) {
    // The masks have a capacity dimension: no dropless einsum. A profile default gives way
    // to index scatter of the actual counts; an explicit request is an error.
    if (s.dispatch)
      throw std::invalid_argument(
          "--dispatch einsum builds capacity-padded [G,S,E,C] masks and cannot be --padding dropless; use --dispatch "
          "grouped (MegaBlocks) or scatter");
    in.dispatch = Dispatch::scatter;
  }
  if (s.group_size) {
    if (*s.group_size <= 0) throw std::invalid_argument("--group-size must be positive, got " + std::to_string(*s.group_size));
    in.group_size = *s.group_size;
  } else {
    in.group_size = kMeshTfGroupSize;
  }
  in.remat = option<Remat>("--remat", s.remat, parse_remat);
  if (s.matmul_precision) {
    in.matmul_precision = option<MatmulPrecision>("--matmul-precision", *s.matmul_precision, parse_matmul_precision);
    apply_matmul_precision(in.cluster.device, *in.matmul_precision);
  }
}
}  // namespace

StepInputs make_inputs(const Scenario& s, const config::Catalog& catalog) {
  StepInputs in;
  in.model = catalog.model(s.model);
  in.cluster = catalog.cluster(s.cluster);
  auto& m = in.model;
  if (s.experts) {
    if (*s.experts < 1) throw std::invalid_argument("--experts must be positive, got " + std::to_string(*s.experts));
    if (!m.is_moe() && *s.experts > 1)
      throw std::invalid_argument("--experts: model " + m.name + " is dense; use a switch-* model");
    if (*s.experts > config::kMaxExperts)
      throw std::invalid_argument("--experts must be at most " + std::to_string(config::kMaxExperts) +
                                  " (switchsim's limit), got " + std::to_string(*s.experts));
    if (m.is_moe()) m.experts = *s.experts;
    if (!config::model_bytes_fit(m))
      throw std::invalid_argument("--experts " + std::to_string(*s.experts) + ": model " + m.name +
                                  " would have more parameters than 64-bit byte counts hold");
  }
  if (s.top_k) {
    if (!m.is_moe()) throw std::invalid_argument("--top-k: model " + m.name + " has no experts");
    if (*s.top_k < 1 || *s.top_k > *m.experts)
      throw std::invalid_argument("--top-k must be between 1 and the number of experts, got " + std::to_string(*s.top_k));
    m.top_k = *s.top_k;
  }
  in.capacity_factor = s.capacity_factor.value_or(m.capacity_factor_train);
  if (!(in.capacity_factor > 0) || in.capacity_factor > config::kMaxCapacityFactor)
    throw std::invalid_argument("--capacity-factor must be > 0 and at most 1e6, got " + fmt::format("{}", in.capacity_factor));
  if (s.seq_len) {
    if (*s.seq_len <= 0 || *s.seq_len > config::kMaxSeqLen)
      throw std::invalid_argument("--seq-len must be between 1 and " + std::to_string(config::kMaxSeqLen) + ", got " +
                                  std::to_string(*s.seq_len));
    m.seq_len_input = *s.seq_len;
  }
  if (s.router_dtype) m.router_dtype = dtype_option("--router-dtype", *s.router_dtype);
  if (s.compute_dtype) m.compute_dtype = dtype_option("--compute-dtype", *s.compute_dtype);
  if (s.batch_tokens <= 0) throw std::invalid_argument("--batch-tokens must be positive");
  // Checked before anything is sized or sampled by it.
  if (s.batch_tokens > config::kMaxBatchTokens)
    throw std::invalid_argument("--batch-tokens must be at most 2^40 = " + std::to_string(config::kMaxBatchTokens) +
                                " (switchsim's limit), got " + std::to_string(s.batch_tokens));
  in.batch_tokens = s.batch_tokens;
  in.layout = parse_layout(s.layout, in.cluster.devices, m.experts.value_or(1));
  in.routing = parse_routing(s.routing);
  if (in.routing.kind == RoutingSpec::Kind::trace) {
    if (!m.is_moe()) throw std::invalid_argument("--routing trace: model " + m.name + " has no experts");
    in.routing = load_routing_trace(s.routing.substr(6), *m.experts, m.top_k);
  }
  in.seed = s.seed;
  if (s.padding == "capacity") in.padding = Padding::capacity;
  else if (s.padding == "dropless") in.padding = Padding::dropless;
  else throw std::invalid_argument("--padding must be capacity or dropless, got '" + s.padding + "'");
  if (s.optimizer == "adafactor") in.optimizer = Optimizer::adafactor;
  else if (s.optimizer == "adam") in.optimizer = Optimizer::adam;
  else throw std::invalid_argument("--optimizer must be adafactor or adam, got '" + s.optimizer + "'");
  if (s.microbatches <= 0 || s.microbatches > config::kMaxMicrobatches)
    throw std::invalid_argument("--microbatches must be between 1 and " + std::to_string(config::kMaxMicrobatches) +
                                ", got " + std::to_string(s.microbatches));
  in.microbatches = s.microbatches;
  in.overlap_grad_allreduce = s.overlap;
  in.alltoall_algorithm = algorithm_choice("--alltoall-algo", s.alltoall_algorithm,
                                           {CommAlgorithm::direct, CommAlgorithm::pairwise, CommAlgorithm::hierarchical});
  in.allreduce_algorithm = algorithm_choice("--allreduce-algo", s.allreduce_algorithm,
                                            {CommAlgorithm::ring, CommAlgorithm::tree, CommAlgorithm::hierarchical});
  apply_step_options(s, in);
  token_shape(in);  // validates the batch split
  return in;
}

nlohmann::json input_columns(const StepInputs& in) {
  const auto& m = in.model;
  return nlohmann::json{{"model", m.name},
                        {"experts", m.experts.value_or(0)},
                        {"top_k", m.is_moe() ? m.top_k : 0},
                        {"capacity_factor", in.capacity_factor},
                        {"batch_tokens", in.batch_tokens},
                        {"seq_len", m.seq_len_input},
                        {"devices", in.cluster.devices},
                        {"cluster", in.cluster.name},
                        {"layout", in.layout.text()},
                        {"routing", in.routing.text},
                        {"seed", in.seed},
                        {"padding", in.padding == Padding::capacity ? "capacity" : "dropless"},
                        {"optimizer", in.optimizer == Optimizer::adam ? "adam" : "adafactor"},
                        {"microbatches", in.microbatches},
                        {"router_dtype", dtype_name(m.router_dtype)},
                        {"compute_dtype", dtype_name(m.compute_dtype)},
                        {"dispatch", dispatch_name(in.dispatch)},
                        {"group_size", in.group_size},
                        {"remat", remat_name(in.remat)},
                        {"fp32_matmul_passes", in.cluster.device.fp32_matmul_passes.value_or(0)}};
}

}  // namespace switchsim::model
