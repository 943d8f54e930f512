#include "net/maxmin.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <functional>
#include <stdexcept>

namespace switchsim::net {

std::int32_t MaxMinSystem::add_constraint(double capacity) {
  if (!(capacity > 0.0)) throw std::invalid_argument("max-min constraint with a non-positive capacity");
  capacity_.push_back(capacity);
  return static_cast<std::int32_t>(capacity_.size() - 1);
}

std::int32_t MaxMinSystem::add_variable(std::span<const std::int32_t> constraints, std::int64_t weight) {
  if (weight < 1) throw std::invalid_argument("max-min variable with weight < 1");
  for (const auto c : constraints) {
    if (c < 0 || static_cast<std::size_t>(c) >= capacity_.size())
      throw std::out_of_range("max-min variable uses an unknown constraint");
    var_constraints_.push_back(c);
    var_coefficients_.push_back(static_cast<double>(weight));
  }
  var_begin_.push_back(static_cast<std::int64_t>(var_constraints_.size()));
  return static_cast<std::int32_t>(var_begin_.size() - 2);
}

std::int32_t MaxMinSystem::add_variable(std::span<const std::int32_t> constraints, std::span<const double> coefficients) {
  if (constraints.size() != coefficients.size()) throw std::invalid_argument("max-min variable: one coefficient per constraint");
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const auto c = constraints[i];
    if (c < 0 || static_cast<std::size_t>(c) >= capacity_.size())
      throw std::out_of_range("max-min variable uses an unknown constraint");
    if (!(coefficients[i] > 0.0) || !std::isfinite(coefficients[i]))
      throw std::invalid_argument("max-min variable with a non-positive coefficient");
    var_constraints_.push_back(c);
    var_coefficients_.push_back(coefficients[i]);
  }
  var_begin_.push_back(static_cast<std::int64_t>(var_constraints_.size()));
  return static_cast<std::int32_t>(var_begin_.size() - 2);
}

void MaxMinSystem::clear_variables() {
  var_begin_.assign(1, 0);
  var_constraints_.clear();
  var_coefficients_.clear();
}

void MaxMinSystem::clear() {
  clear_variables();
  capacity_.clear();
}

void MaxMinSystem::reserve(std::size_t variables, std::size_t incidences) {
  var_begin_.reserve(variables + 1);
  var_constraints_.reserve(incidences);
  var_coefficients_.reserve(incidences);
}

void MaxMinSystem::solve(std::vector<double>& rates, std::vector<double>& load, std::vector<std::int32_t>* fixed_by) const {
  const std::size_t nv = variable_count();
  const std::size_t nc = capacity_.size();
  rates.assign(nv, std::numeric_limits<double>::infinity());
  load.assign(nc, 0.0);
  if (fixed_by) fixed_by->assign(nv, -1);

  // Transpose the incidence: constraint -> variables (in variable order).
  con_begin_.assign(nc + 1, 0);
  for (const auto c : var_constraints_) ++con_begin_[static_cast<std::size_t>(c) + 1];
  for (std::size_t c = 0; c < nc; ++c) con_begin_[c + 1] += con_begin_[c];
  con_vars_.resize(var_constraints_.size());
  fill_.assign(con_begin_.begin(), con_begin_.end() - 1);
  for (std::size_t v = 0; v < nv; ++v)
    for (auto i = var_begin_[v]; i < var_begin_[v + 1]; ++i)
      con_vars_[static_cast<std::size_t>(fill_[static_cast<std::size_t>(var_constraints_[static_cast<std::size_t>(i)])]++)] =
          static_cast<std::int32_t>(v);

  auto& remaining = remaining_;
  remaining.assign(capacity_.begin(), capacity_.end());
  auto& unfixed = unfixed_;  // Σ coefficients of unfixed variables
  unfixed.assign(nc, 0.0);
  auto& unfixed_count = unfixed_count_;
  unfixed_count.assign(nc, 0);
  for (std::size_t i = 0; i < var_constraints_.size(); ++i) {
    unfixed[static_cast<std::size_t>(var_constraints_[i])] += var_coefficients_[i];
    ++unfixed_count[static_cast<std::size_t>(var_constraints_[i])];
  }

  // A binary min-heap of (share, constraint): least share, then lowest index (the same
  // push_heap/pop_heap a std::priority_queue with std::greater does, on a reused vector).
  const std::greater<> later;
  auto& heap = heap_;
  heap.clear();
  const auto push = [&](double share, std::int32_t c) {
    heap.emplace_back(share, c);
    std::push_heap(heap.begin(), heap.end(), later);
  };
  for (std::size_t c = 0; c < nc; ++c)
    if (unfixed_count[c] > 0) push(remaining[c] / unfixed[c], static_cast<std::int32_t>(c));
  auto& fixed = fixed_;
  fixed.assign(nv, 0);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const auto [share, c] = heap.back();
    heap.pop_back();
    const auto cu = static_cast<std::size_t>(c);
    if (unfixed_count[cu] == 0) continue;
    const double current = std::max(remaining[cu], 0.0) / unfixed[cu];
    if (current != share) {  // stale: its share rose since it was pushed
      push(current, c);
      continue;
    }
    for (auto i = con_begin_[cu]; i < con_begin_[cu + 1]; ++i) {
      const auto v = static_cast<std::size_t>(con_vars_[static_cast<std::size_t>(i)]);
      if (fixed[v]) continue;
      fixed[v] = 1;
      rates[v] = current;
      if (fixed_by) (*fixed_by)[v] = c;
      for (auto j = var_begin_[v]; j < var_begin_[v + 1]; ++j) {
        const auto other = static_cast<std::size_t>(var_constraints_[static_cast<std::size_t>(j)]);
        const double a = var_coefficients_[static_cast<std::size_t>(j)];
        const double used = current * a;
        remaining[other] -= used;
        unfixed[other] -= a;
        --unfixed_count[other];
        load[other] += used;
      }
    }
  }
}

}  // namespace switchsim::net
