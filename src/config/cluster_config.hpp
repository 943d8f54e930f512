#pragma once
// A cluster: how many devices of which kind, and the interconnect between them.

#include <cstdint>
#include <functional>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "config/device_config.hpp"
#include "config/topology_spec.hpp"

namespace switchsim::config {

struct ClusterConfig {
  std::string name;
  DeviceConfig device;
  std::int64_t devices = 0;
  TopologySpec topology;
  std::map<std::string, std::string> sources;
  // The file this cluster was read from, so later stages (topology/) can name it in errors.
  std::string file;
};

// Resolves a device given by name through `resolve_device` (so cluster files can say
// "device": "h100-sxm"), or reads it inline when it is an object.
using DeviceResolver = std::function<DeviceConfig(const std::string& name)>;
ClusterConfig parse_cluster(const nlohmann::json& object, const std::string& file, const DeviceResolver& resolve_device);
nlohmann::json to_json(const ClusterConfig& cluster);

}  // namespace switchsim::config
