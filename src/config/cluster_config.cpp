#include "config/cluster_config.hpp"

#include "config/object_reader.hpp"

namespace switchsim::config {

ClusterConfig parse_cluster(const nlohmann::json& object, const std::string& file,
                            const DeviceResolver& resolve_device) {
  ObjectReader r(object, file);
  ClusterConfig c;
  c.file = file;
  c.name = r.string("name");
  r.choice("type", {"cluster"});
  const auto& device = r.raw("device");
  if (device.is_string()) {
    const std::string name = device.get<std::string>();
    try {
      c.device = resolve_device(name);
    } catch (const ConfigError& e) {
      // Keep the cluster file in the message: that is where the user wrote the name.
      r.fail("device", "cannot load device \"" + name + "\": " + e.what());
    }
  } else if (device.is_object()) {
    c.device = parse_device(device, file, r.pointer_to("device"));
  } else {
    r.fail("device", "must be a device name or a device object, got " + describe_value(device));
  }
  c.devices = r.positive_int("devices");
  c.topology = parse_topology(r.raw("topology"), file, r.pointer_to("topology"));
  const std::int64_t endpoints = endpoint_count(c.topology);
  if (endpoints != c.devices)
    r.fail("devices", "is " + std::to_string(c.devices) + " but the topology has " + std::to_string(endpoints) +
                          " endpoints");
  if (auto sources = r.optional_object("sources")) {
    for (const auto& [key, value] : sources->raw_object().items()) c.sources.emplace(key, sources->string(key));
    sources->finish();
  }
  r.finish();
  return c;
}

nlohmann::json to_json(const ClusterConfig& c) {
  return nlohmann::json{{"name", c.name},
                        {"type", "cluster"},
                        {"device", to_json(c.device)},
                        {"devices", c.devices},
                        {"topology", to_json(c.topology)},
                        {"sources", c.sources}};
}

}  // namespace switchsim::config
