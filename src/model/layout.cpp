#include "model/layout.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace switchsim::model {

std::string ParallelLayout::text() const {
  return "dp=" + std::to_string(dp) + ",tp=" + std::to_string(tp) + ",ep=" + std::to_string(ep);
}

ParallelLayout parse_layout(const std::string& text, std::int64_t devices, std::int64_t experts) {
  std::optional<std::int64_t> dp, tp, ep;
  // "" is the default layout; inside a layout, an empty item ("dp=8,,", ",tp=2", "dp=8,") is a
  // typo, not a default.
  if (!text.empty() && (text.front() == ',' || text.back() == ',' || text.find(",,") != std::string::npos))
    throw std::invalid_argument("--layout: empty item in '" + text + "' (use dp=N,tp=M,ep=K)");
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("--layout: expected key=value, got '" + item + "'");
    const std::string key = item.substr(0, eq);
    const std::string value = item.substr(eq + 1);
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || ptr != value.data() + value.size() || v <= 0)
      throw std::invalid_argument("--layout: " + key + " must be a positive integer, got '" + value + "'");
    if ((key == "dp" && dp) || (key == "tp" && tp) || (key == "ep" && ep))
      throw std::invalid_argument("--layout: " + key + " is given twice in '" + text + "'");
    if (key == "dp") dp = v;
    else if (key == "tp") tp = v;
    else if (key == "ep") ep = v;
    else throw std::invalid_argument("--layout: unknown key '" + key + "' (use dp, tp, ep)");
  }
  ParallelLayout layout;
  layout.tp = tp.value_or(1);
  if (devices % layout.tp != 0)
    throw std::invalid_argument("--layout: tp=" + std::to_string(layout.tp) + " does not divide the " +
                                std::to_string(devices) + " devices");
  layout.dp = dp.value_or(devices / layout.tp);
  if (layout.dp > devices || layout.dp * layout.tp != devices)  // dp <= devices: the product cannot overflow
    throw std::invalid_argument("--layout: dp x tp = " + std::to_string(layout.dp) + " x " + std::to_string(layout.tp) +
                                " but the cluster has " + std::to_string(devices) + " devices");
  if (ep) {
    layout.ep = *ep;
    if (layout.dp % layout.ep != 0)
      throw std::invalid_argument("--layout: ep=" + std::to_string(layout.ep) + " must divide dp=" +
                                  std::to_string(layout.dp));
    if (experts % layout.ep != 0)
      throw std::invalid_argument("--layout: " + std::to_string(experts) + " experts cannot be split over ep=" +
                                  std::to_string(layout.ep) + " devices");
  } else {
    // The paper's layouts: experts spread over every data-parallel device when there are at
    // least as many experts as devices, else each expert replicated over dp / E devices.
    if (experts % layout.dp != 0 && layout.dp % experts != 0)
      throw std::invalid_argument("--layout: " + std::to_string(experts) + " experts and dp=" + std::to_string(layout.dp) +
                                  " devices must divide one another (or give ep= explicitly)");
    layout.ep = std::min(experts, layout.dp);
  }
  return layout;
}

}  // namespace switchsim::model
