#include "model/step_options.hpp"

#include <stdexcept>
#include <string>

namespace switchsim::model {

std::string_view dispatch_name(Dispatch d) {
  switch (d) {
    case Dispatch::einsum: return "einsum";
    case Dispatch::scatter: return "scatter";
    case Dispatch::grouped: return "grouped";
  }
  return "?";
}

std::string_view matmul_precision_name(MatmulPrecision p) {
  switch (p) {
    case MatmulPrecision::xla_default: return "default";
    case MatmulPrecision::high: return "high";
    case MatmulPrecision::highest: return "highest";
  }
  return "?";
}

std::string_view remat_name(Remat r) {
  switch (r) {
    case Remat::none: return "none";
    case Remat::attention: return "attention";
    case Remat::full: return "full";
  }
  return "?";
}

Dispatch parse_dispatch(std::string_view text) {
  for (Dispatch d : {Dispatch::einsum, Dispatch::scatter, Dispatch::grouped})
    if (text == dispatch_name(d)) return d;
  throw std::invalid_argument("unknown dispatch '" + std::string(text) + "' (use einsum, scatter or grouped)");
}

MatmulPrecision parse_matmul_precision(std::string_view text) {
  for (MatmulPrecision p : {MatmulPrecision::xla_default, MatmulPrecision::high, MatmulPrecision::highest})
    if (text == matmul_precision_name(p)) return p;
  throw std::invalid_argument("unknown matmul precision '" + std::string(text) + "' (use default, high or highest)");
}

Remat parse_remat(std::string_view text) {
  for (Remat r : {Remat::none, Remat::attention, Remat::full})
    if (text == remat_name(r)) return r;
  throw std::invalid_argument("unknown remat policy '" + std::string(text) + "' (use none, attention or full)");
}

}  // namespace switchsim::model
