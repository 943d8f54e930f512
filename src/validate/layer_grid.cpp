#include "validate/layer_grid.hpp"

namespace switchsim::validate {

std::vector<ref::LayerSpec> layer_spec_grid(const LayerGrid& o) {
  std::vector<ref::LayerSpec> specs;
  for (auto e : o.experts)
    for (auto cf : o.capacity_factor)
      for (auto t : o.tokens)
        for (auto d : o.d_model)
          for (auto ff : o.d_ff) {
            ref::LayerSpec s;
            s.target = o.target;
            s.ranks = o.ranks;
            s.experts = e;
            s.capacity_factor = cf;
            s.tokens_per_rank = t;
            s.d_model = d;
            s.d_ff = ff;
            s.ffn = o.ffn;
            s.top_k = o.top_k;
            s.padding = o.padding;
            s.routing = o.routing;
            s.seed = o.seed;
            s.min_capacity = o.min_capacity;
            s.aux_loss = o.aux_loss;
            specs.push_back(s);
          }
  return specs;
}

}  // namespace switchsim::validate
