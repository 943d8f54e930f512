#pragma once
// Max-min fair sharing by progressive filling (Bertsekas & Gallager, "Data Networks",
// §6.5.2; SimGrid's lmm solves the same system).
//
// Variables x_v ≥ 0 (flow rates), constraints c with capacity C_c, and an incidence
// "variable v uses constraint c" (each at most once). A variable of weight w stands for w
// identical flows that use exactly the same constraints; max-min gives identical flows
// identical rates, so solving them as one variable of weight w is exact.
//
//   repeat: among constraints with unfixed variables, take the one with the least fair
//           share s_c = (C_c − Σ_fixed w_v x_v) / Σ_unfixed w_v;
//           fix every unfixed variable on it at x_v = s_c
//   until every variable is fixed.
//
// Fixing variables at the least share can only raise the shares of other constraints
// ((R − w·s)/(N − w) ≥ R/N when s ≤ R/N), so stale heap entries are refreshed lazily when
// popped. Cost: O(incidences · log constraints). Ties pick the lower constraint index, so
// the result is deterministic. A variable using no constraint gets +infinity.

#include <cstdint>
#include <span>
#include <vector>

namespace switchsim::net {

class MaxMinSystem {
 public:
  std::int32_t add_constraint(double capacity);
  // Adds a variable using `constraints` (distinct indices); returns its index.
  std::int32_t add_variable(std::span<const std::int32_t> constraints, std::int64_t weight = 1);
  // Forgets the variables, keeps the constraints.
  void clear_variables();
  void reserve(std::size_t variables, std::size_t incidences);

  std::size_t variable_count() const { return weight_.size(); }
  std::size_t constraint_count() const { return capacity_.size(); }

  // Rate of each variable (per flow it stands for) into `rates`; load of each constraint
  // (Σ w_v x_v over its variables) into `load`.
  void solve(std::vector<double>& rates, std::vector<double>& load) const;

 private:
  std::vector<double> capacity_;
  std::vector<std::int64_t> var_begin_{0};
  std::vector<std::int32_t> var_constraints_;
  std::vector<std::int64_t> weight_;
  // Scratch reused between solves.
  mutable std::vector<std::int64_t> con_begin_;
  mutable std::vector<std::int32_t> con_vars_;
};

}  // namespace switchsim::net
