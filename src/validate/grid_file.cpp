#include "validate/grid_file.hpp"

#include "config/object_reader.hpp"
#include "ref/cpu/routing.hpp"

namespace switchsim::validate {

LayerGridFile parse_grid_file(const nlohmann::json& document, const std::string& file, const std::string& target) {
  config::ObjectReader top(document, file);
  LayerGridFile g;
  g.name = top.string("name");
  g.description = top.string_or("description", "");
  const auto ranks = top.positive_int("ranks");
  const auto& configs = top.array("configs");
  if (configs.empty()) top.fail("configs", "must list at least one layer");
  for (std::size_t i = 0; i < configs.size(); ++i) {
    config::ObjectReader r(configs[i], file, "/configs/" + std::to_string(i));
    ref::LayerSpec s;
    s.target = target;
    s.ranks = ranks;
    s.experts = r.positive_int("experts");
    s.capacity_factor = r.positive_number("capacity_factor");
    s.tokens_per_rank = r.positive_int("tokens_per_rank");
    s.d_model = r.positive_int("d_model");
    s.d_ff = r.positive_int("d_ff");
    s.top_k = r.positive_int_or("top_k", 1);
    s.padding = r.choice_or("padding", {"capacity", "dropless"}, "capacity");
    s.routing = r.string_or("routing", "uniform");
    try {
      ref::cpu::check_routing_spec(s.routing);
    } catch (const std::invalid_argument& e) {
      r.fail("routing", e.what());
    }
    s.ffn = r.choice_or("ffn", {"relu", "geglu"}, "relu");
    s.seed = static_cast<std::uint64_t>(r.non_negative_int_or("seed", 1));
    s.min_capacity = r.positive_int_or("min_capacity", 4);
    r.finish();
    g.specs.push_back(s);
  }
  top.finish();
  return g;
}

}  // namespace switchsim::validate
