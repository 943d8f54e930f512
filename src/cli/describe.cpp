// `switchsim describe model|hardware NAME|FILE [--json]`

#include <fmt/format.h>

#include <memory>

#include "cli/command.hpp"
#include "config/catalog.hpp"
#include "model/model_stats.hpp"
#include "units/format.hpp"

namespace switchsim::cli {
namespace {

struct DescribeOptions {
  std::string name;
  bool json = false;
};

std::string billions(std::int64_t n) { return fmt::format("{:.3f} B ({})", static_cast<double>(n) / 1e9, n); }

int run_describe_model(const DescribeOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  const auto m = catalog.model(o.name);
  const auto s = model::compute_stats(m);
  if (o.json) {
    fmt::print("{}\n", nlohmann::json{{"model", config::to_json(m)}, {"stats", model::to_json(s)}}.dump(2));
    return 0;
  }
  fmt::print("model {}\n", m.name);
  fmt::print("  shape           d_model {}, d_ff {} ({}), {} heads x d_kv {}, {} encoder + {} decoder layers\n",
             m.d_model, m.d_ff, m.ffn == config::FfnKind::geglu ? "GEGLU" : "ReLU", m.heads, m.d_kv,
             m.encoder_layers, m.decoder_layers);
  if (m.is_moe()) {
    fmt::print("  experts         {} (top-{}), {} Switch layers ({} encoder + {} decoder, every {} FFN)\n",
               *m.experts, m.top_k, s.switch_layers_encoder + s.switch_layers_decoder, s.switch_layers_encoder,
               s.switch_layers_decoder, m.expert_every == 1 ? std::string("") : fmt::format("{}th", m.expert_every));
    fmt::print("  capacity factor {} train / {} eval, router {}\n", m.capacity_factor_train, m.capacity_factor_eval,
               dtype_name(m.router_dtype));
  } else {
    fmt::print("  experts         none (dense)\n");
  }
  fmt::print("  params_total              {}\n", billions(s.params_total));
  fmt::print("  params_expert             {}\n", billions(s.params_expert));
  fmt::print("  params_active_per_token   {}\n", billions(s.params_active_per_token));
  fmt::print("  flops_per_token_forward   {:.4g} FLOP  (encoder token {:.4g}, decoder token {:.4g})\n",
             s.flops_per_token_forward, s.flops_per_encoder_token_forward, s.flops_per_decoder_token_forward);
  fmt::print("  flops_per_sequence_forward {:.4g} FLOP  ({} input + {} target tokens)\n", s.flops_per_sequence_forward,
             m.seq_len_input, m.seq_len_target);
  if (!m.source.empty()) fmt::print("  source          {}\n", m.source);
  return 0;
}

void print_device(const config::DeviceConfig& d, const std::string& indent) {
  fmt::print("{}device {} ({}), {} compute units\n", indent, d.name, d.kind, d.compute_units);
  fmt::print("{}  peak      bf16 {}, tf32 {}, fp32 {}\n", indent, d.peak_bf16, d.peak_tf32, d.peak_fp32);
  if (d.fp32_matmul_passes)
    fmt::print("{}  fp32      matmuls as {} bf16 pass(es) (--matmul-precision: default 1, high 3, highest 6)\n", indent,
               *d.fp32_matmul_passes);
  fmt::print("{}  dispatch  {} by default (--dispatch einsum | scatter | grouped)\n", indent, d.dispatch);
  fmt::print("{}  memory    {} at {}\n", indent, d.memory, d.memory_bandwidth);
  fmt::print("{}  achieved  GEMM {:.0f}% of peak, streaming {:.0f}% of memory bandwidth, kernel overhead {}\n",
             indent, d.gemm_efficiency * 100, d.memory_efficiency * 100, d.kernel_overhead);
  if (d.cores_per_chip > 1) {
    fmt::print("{}  per chip  {} cores: bf16 {}, memory {} at {}\n", indent, d.cores_per_chip,
               d.peak_bf16 * static_cast<double>(d.cores_per_chip), d.memory * d.cores_per_chip,
               d.memory_bandwidth * static_cast<double>(d.cores_per_chip));
  }
  for (const auto& [field, source] : d.sources) fmt::print("{}  source    {}: {}\n", indent, field, source);
}

int run_describe_hardware(const DescribeOptions& o) {
  const auto catalog = config::Catalog::from_environment();
  if (catalog.hardware_type(o.name) == "device") {
    const auto d = catalog.device(o.name);
    if (o.json) {
      fmt::print("{}\n", config::to_json(d).dump(2));
      return 0;
    }
    print_device(d, "");
    return 0;
  }
  const auto c = catalog.cluster(o.name);
  if (o.json) {
    fmt::print("{}\n", config::to_json(c).dump(2));
    return 0;
  }
  fmt::print("cluster {}: {} devices, topology {}\n", c.name, c.devices, config::topology_kind(c.topology));
  fmt::print("  topology {}\n", config::to_json(c.topology).dump());
  print_device(c.device, "  ");
  for (const auto& [field, source] : c.sources) fmt::print("  source {}: {}\n", field, source);
  return 0;
}

}  // namespace

void setup_describe(CLI::App& app, Action& action) {
  auto* describe = app.add_subcommand("describe", "Print what a model or a piece of hardware is, with derived numbers");
  describe->require_subcommand(1);
  auto options = std::make_shared<DescribeOptions>();

  auto* model = describe->add_subcommand(
      "model",
      "Parameter counts and forward FLOPs per token of a model.\n"
      "Example: switchsim describe model switch-base-128\n"
      "         switchsim describe model ./my-model.json --json");
  model->add_option("name", options->name, "Shipped model name (see `switchsim list models`) or a JSON file path")
      ->required();
  model->add_flag("--json", options->json, "Print JSON instead of text");
  model->callback([options, &action] { action = [options] { return run_describe_model(*options); }; });

  auto* hardware = describe->add_subcommand(
      "hardware",
      "Peak rates, memory and interconnect of a device or cluster.\n"
      "Example: switchsim describe hardware h100-sxm\n"
      "         switchsim describe hardware dgx-h100-8 --json");
  hardware->add_option("name", options->name, "Shipped device/cluster name (see `switchsim list hardware`) or a path")
      ->required();
  hardware->add_flag("--json", options->json, "Print JSON instead of text");
  hardware->callback([options, &action] { action = [options] { return run_describe_hardware(*options); }; });
}

}  // namespace switchsim::cli
