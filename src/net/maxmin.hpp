#pragma once
// Max-min fair sharing by progressive filling (Bertsekas & Gallager, "Data Networks",
// §6.5.2; SimGrid's lmm solves the same system).
//
// Variables x_v ≥ 0 (flow rates), constraints c with capacity C_c, and an incidence
// "variable v uses constraint c with coefficient a_vc > 0" (each pair at most once): the
// constraint carries Σ_v a_vc x_v. A variable of weight w stands for w identical flows that
// use exactly the same constraints (a_vc = w); max-min gives identical flows identical
// rates, so solving them as one variable of weight w is exact. Coefficients that differ per
// constraint come from symmetry reduction (net/symmetry.hpp): a variable stands for a class
// of equivalent flows, and a_vc is how many of them cross one link of the class c.
//
//   repeat: among constraints with unfixed variables, take the one with the least fair
//           share s_c = (C_c − Σ_fixed a_vc x_v) / Σ_unfixed a_vc;
//           fix every unfixed variable on it at x_v = s_c
//   until every variable is fixed.
//
// Fixing variables at the least share can only raise the shares of other constraints
// ((R − a·s)/(N − a) ≥ R/N when s ≤ R/N), so stale heap entries are refreshed lazily when
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
  // Adds a variable using constraints[i] with coefficient coefficients[i] (> 0, finite).
  std::int32_t add_variable(std::span<const std::int32_t> constraints, std::span<const double> coefficients);
  // Forgets the variables, keeps the constraints.
  void clear_variables();
  // Forgets the variables and the constraints, keeps the memory (a system rebuilt per solve).
  void clear();
  void reserve(std::size_t variables, std::size_t incidences);

  std::size_t variable_count() const { return var_begin_.size() - 1; }
  std::size_t constraint_count() const { return capacity_.size(); }
  double capacity(std::size_t constraint) const { return capacity_[constraint]; }
  std::span<const std::int32_t> constraints_of(std::size_t variable) const {
    return {var_constraints_.data() + var_begin_[variable], static_cast<std::size_t>(var_begin_[variable + 1] - var_begin_[variable])};
  }
  std::span<const double> coefficients_of(std::size_t variable) const {
    return {var_coefficients_.data() + var_begin_[variable], static_cast<std::size_t>(var_begin_[variable + 1] - var_begin_[variable])};
  }

  // Rate of each variable (per flow it stands for) into `rates`; load of each constraint
  // (Σ w_v x_v over its variables) into `load`; with `fixed_by`, the constraint whose step
  // fixed each variable (-1 for one using no constraint). That constraint is a bottleneck of
  // the variable in Bertsekas & Gallager's sense: saturated when it was fixed (its share
  // handed out all that remained), with no variable on it at a higher rate (those fixed
  // before got less, those fixed at it the same, and none was left unfixed).
  void solve(std::vector<double>& rates, std::vector<double>& load, std::vector<std::int32_t>* fixed_by = nullptr) const;

 private:
  std::vector<double> capacity_;
  std::vector<std::int64_t> var_begin_{0};
  std::vector<std::int32_t> var_constraints_;
  std::vector<double> var_coefficients_;
  // Scratch reused between solves: a network re-solves tens of thousands of times a step,
  // and allocating these each time was a tenth of the solve.
  mutable std::vector<std::int64_t> con_begin_;
  mutable std::vector<std::int32_t> con_vars_;
  mutable std::vector<std::int64_t> fill_;
  mutable std::vector<double> remaining_;
  mutable std::vector<double> unfixed_;
  mutable std::vector<std::int64_t> unfixed_count_;
  mutable std::vector<char> fixed_;
  mutable std::vector<std::pair<double, std::int32_t>> heap_;
};

}  // namespace switchsim::net
