#include "validate/profile.hpp"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "config/catalog.hpp"
#include "config/json_file.hpp"

namespace switchsim::validate {

std::optional<std::tm> find_iso_date(const std::string& text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  for (std::size_t at = 0; at + kShape.size() <= text.size(); ++at) {
    bool match = true;
    for (std::size_t k = 0; k < kShape.size() && match; ++k) {
      const char c = text[at + k];
      match = kShape[k] == 'd' ? (c >= '0' && c <= '9') : c == kShape[k];
    }
    if (!match) continue;
    auto number = [&](std::size_t offset, std::size_t digits) { return std::stoi(text.substr(at + offset, digits)); };
    std::tm tm{};
    tm.tm_year = number(0, 4) - 1900;
    tm.tm_mon = number(5, 2) - 1;
    tm.tm_mday = number(8, 2);
    tm.tm_hour = number(11, 2);
    tm.tm_min = number(14, 2);
    tm.tm_sec = number(17, 2);
    return tm;
  }
  return std::nullopt;
}

std::optional<std::tm> calibration_date(const std::filesystem::path& device_file) {
  const auto json = config::load_json_file(device_file);
  if (json.contains("sources") && json["sources"].is_object())
    for (const auto& [key, value] : json["sources"].items()) {
      if (!value.is_string()) continue;
      if (auto tm = find_iso_date(value.get<std::string>())) return tm;
    }
  return std::nullopt;
}

std::optional<double> profile_age_hours(const std::filesystem::path& device_file) {
  if (auto tm = calibration_date(device_file)) {
    const std::time_t then = timegm(&*tm);
    return std::difftime(std::time(nullptr), then) / 3600.0;
  }
  const auto written = std::filesystem::last_write_time(device_file);
  const auto age = std::filesystem::file_time_type::clock::now() - written;
  return std::chrono::duration<double>(age).count() / 3600.0;
}

std::string profile_name(const std::filesystem::path& device_file) { return device_file.stem().string(); }

config::ClusterConfig fixed_grid_only(config::ClusterConfig profile) {
  auto& device = profile.device;
  if (!device.gemm_grid) return profile;
  const auto& grid = *device.gemm_grid;
  auto on_axis = [](const std::vector<std::int64_t>& axis, std::int64_t v) {
    return std::find(axis.begin(), axis.end(), v) != axis.end();
  };
  std::erase_if(device.gemm_efficiency_table, [&](const config::GemmEfficiencyPoint& p) {
    return !(on_axis(grid.m, p.m) && on_axis(grid.n, p.n) && on_axis(grid.k, p.k));
  });
  return profile;
}

config::ClusterConfig load_profile(const std::filesystem::path& device_file, const std::filesystem::path& cluster_file) {
  const auto catalog = config::Catalog::from_environment();
  auto cluster = catalog.cluster(cluster_file.string());
  cluster.device = catalog.device(device_file.string());
  return cluster;
}

}  // namespace switchsim::validate
