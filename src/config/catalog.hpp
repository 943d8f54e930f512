#pragma once
// Finds shipped configs by name: "switch-base-128" -> <data dir>/models/switch-base-128.json.
// Anything that looks like a path (contains '/' or ends in .json) is used as a path.
// The data directory is $SWITCHSIM_DATA_DIR when set, else the source tree this binary was
// built from, else the current directory.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/cluster_config.hpp"
#include "config/device_config.hpp"
#include "config/model_config.hpp"

namespace switchsim::config {

class Catalog {
 public:
  explicit Catalog(std::filesystem::path data_dir);
  static Catalog from_environment();
  // This catalog, reading each model and cluster file once: later calls return the first
  // parse (thread-safe, shared by copies). For a search that builds thousands of points from
  // the same few files, where reading and parsing them per point was a tenth of its time.
  // A file changed during the search is not seen again.
  Catalog remembering() const;

  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path model_path(const std::string& name_or_path) const;
  std::filesystem::path hardware_path(const std::string& name_or_path) const;

  ModelConfig model(const std::string& name_or_path) const;
  DeviceConfig device(const std::string& name_or_path) const;
  ClusterConfig cluster(const std::string& name_or_path) const;
  // "device" or "cluster", read from the file's "type" field.
  std::string hardware_type(const std::string& name_or_path) const;

  // Shipped names, sorted.
  std::vector<std::string> model_names() const;
  std::vector<std::string> hardware_names() const;

 private:
  std::filesystem::path resolve(const std::string& name_or_path, const char* folder) const;
  std::filesystem::path data_dir_;
  struct Remembered {
    std::mutex mutex;
    std::map<std::string, ModelConfig> models;
    std::map<std::string, ClusterConfig> clusters;
  };
  std::shared_ptr<Remembered> remembered_;  // none: read every time
};

}  // namespace switchsim::config
