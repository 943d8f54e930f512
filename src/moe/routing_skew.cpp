#include "moe/routing_skew.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace switchsim::moe {
namespace {

double parse_number(std::string_view arg, std::string_view text) {
  double value = 0;
  const auto* begin = arg.data();
  const auto* end = begin + arg.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (arg.empty() || ec != std::errc() || ptr != end || !std::isfinite(value))
    throw std::invalid_argument("routing '" + std::string(text) + "': not a number: '" + std::string(arg) + "'");
  return value;
}

}  // namespace

RoutingSkew parse_routing_skew(std::string_view text) {
  RoutingSkew skew;
  skew.text = std::string(text);
  const auto colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (kind == "uniform") {
    if (colon != std::string_view::npos) throw std::invalid_argument("routing 'uniform' takes no parameter");
    skew.kind = RoutingSkew::Kind::uniform;
  } else if (kind == "zipf") {
    skew.kind = RoutingSkew::Kind::zipf;
    skew.parameter = parse_number(arg, text);
    if (skew.parameter < 0)
      throw std::invalid_argument("routing 'zipf:S' needs S >= 0, got " + std::string(arg));
  } else if (kind == "hot") {
    skew.kind = RoutingSkew::Kind::hot;
    skew.parameter = parse_number(arg, text);
    if (!(skew.parameter > 0 && skew.parameter <= 1))
      throw std::invalid_argument("routing 'hot:F' needs 0 < F <= 1, got " + std::string(arg));
  } else {
    throw std::invalid_argument("unknown routing '" + std::string(text) + "' (use uniform, zipf:S or hot:F)");
  }
  return skew;
}

std::vector<double> skew_shares(const RoutingSkew& skew, std::int64_t experts) {
  if (experts <= 0) throw std::invalid_argument("routing shares need experts > 0");
  const auto n = static_cast<std::size_t>(experts);
  std::vector<double> p(n, 1.0 / static_cast<double>(experts));
  switch (skew.kind) {
    case RoutingSkew::Kind::uniform:
      break;
    case RoutingSkew::Kind::zipf: {
      double total = 0;
      for (std::size_t r = 0; r < n; ++r) total += std::pow(static_cast<double>(r + 1), -skew.parameter);
      for (std::size_t r = 0; r < n; ++r) p[r] = std::pow(static_cast<double>(r + 1), -skew.parameter) / total;
      break;
    }
    case RoutingSkew::Kind::hot: {
      if (experts == 1) {
        p[0] = 1.0;
        break;
      }
      const double rest = (1.0 - skew.parameter) / static_cast<double>(experts - 1);
      for (std::size_t e = 0; e < n; ++e) p[e] = e == 0 ? skew.parameter : rest;
      break;
    }
  }
  return p;
}

}  // namespace switchsim::moe
