#include "config/catalog.hpp"

#include <algorithm>
#include <cstdlib>

#include "config/error.hpp"
#include "config/json_file.hpp"
#include "config/object_reader.hpp"

#ifndef SWITCHSIM_DEFAULT_DATA_DIR
#define SWITCHSIM_DEFAULT_DATA_DIR "."
#endif
#ifndef SWITCHSIM_INSTALLED_DATA_DIR
#define SWITCHSIM_INSTALLED_DATA_DIR "../share/switchsim"
#endif

namespace switchsim::config {

Catalog::Catalog(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)) {}

// Order: $SWITCHSIM_DATA_DIR, the installed data (PREFIX/share/switchsim beside
// PREFIX/bin/switchsim, when it holds models/), the source tree this binary was built from,
// the current directory.
Catalog Catalog::from_environment() {
  if (const char* env = std::getenv("SWITCHSIM_DATA_DIR"); env && *env) return Catalog(env);
  std::error_code ec;
  // Installed: PREFIX/bin/switchsim reads PREFIX/share/switchsim.
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = (exe.parent_path() / SWITCHSIM_INSTALLED_DATA_DIR).lexically_normal();
    if (std::filesystem::is_directory(installed / "models", ec)) return Catalog(installed);
  }
  const std::filesystem::path built_from(SWITCHSIM_DEFAULT_DATA_DIR);
  if (std::filesystem::is_directory(built_from / "models", ec)) return Catalog(built_from);
  return Catalog(".");
}

std::filesystem::path Catalog::resolve(const std::string& name_or_path, const char* folder) const {
  const bool looks_like_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".json");
  if (looks_like_path) return name_or_path;
  return data_dir_ / folder / (name_or_path + ".json");
}

std::filesystem::path Catalog::model_path(const std::string& n) const { return resolve(n, "models"); }
std::filesystem::path Catalog::hardware_path(const std::string& n) const { return resolve(n, "hardware"); }

namespace {
// The first read of `name`, remembered; the file is read outside the lock (a failed read
// throws and remembers nothing).
template <class Config, class Read>
Config remembered_or_read(std::mutex& mutex, std::map<std::string, Config>& seen, const std::string& name,
                          const Read& read) {
  {
    const std::lock_guard lock(mutex);
    if (auto it = seen.find(name); it != seen.end()) return it->second;
  }
  Config parsed = read();
  const std::lock_guard lock(mutex);
  return seen.try_emplace(name, std::move(parsed)).first->second;
}
}  // namespace

Catalog Catalog::remembering() const {
  Catalog copy = *this;
  if (!copy.remembered_) copy.remembered_ = std::make_shared<Remembered>();
  return copy;
}

ModelConfig Catalog::model(const std::string& name_or_path) const {
  if (remembered_)
    return remembered_or_read(remembered_->mutex, remembered_->models, name_or_path,
                              [&] { return Catalog(data_dir_).model(name_or_path); });
  const auto path = model_path(name_or_path);
  std::error_code ec;
  if (path.parent_path() == data_dir_ / "models" && !std::filesystem::exists(path, ec))
    throw ConfigError(name_or_path, "name", "no such model (try `switchsim list models`; looked for " + path.string() + ")");
  return load_model(path);
}

std::string Catalog::hardware_type(const std::string& name_or_path) const {
  const auto path = hardware_path(name_or_path);
  std::error_code ec;
  if (path.parent_path() == data_dir_ / "hardware" && !std::filesystem::exists(path, ec))
    throw ConfigError(name_or_path, "name",
                      "no such device or cluster (try `switchsim list hardware`; looked for " + path.string() + ")");
  const auto json = load_json_file(path);
  if (!json.is_object()) throw ConfigError(path.string(), "/", "must be a JSON object");
  ObjectReader r(json, path.string());
  return r.choice("type", {"device", "cluster"});
}

DeviceConfig Catalog::device(const std::string& name_or_path) const {
  const auto path = hardware_path(name_or_path);
  if (hardware_type(name_or_path) != "device")
    throw ConfigError(path.string(), "/type", "expected a device file, got a cluster");
  auto json = load_json_file(path);
  json.erase("type");
  return parse_device(json, path.string());
}

ClusterConfig Catalog::cluster(const std::string& name_or_path) const {
  if (remembered_)
    return remembered_or_read(remembered_->mutex, remembered_->clusters, name_or_path,
                              [&] { return Catalog(data_dir_).cluster(name_or_path); });
  const auto path = hardware_path(name_or_path);
  if (hardware_type(name_or_path) != "cluster")
    throw ConfigError(path.string(), "/type", "expected a cluster file, got a device");
  return parse_cluster(load_json_file(path), path.string(), [this](const std::string& name) { return device(name); });
}

namespace {
std::vector<std::string> json_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

std::vector<std::string> Catalog::model_names() const { return json_names(data_dir_ / "models"); }
std::vector<std::string> Catalog::hardware_names() const { return json_names(data_dir_ / "hardware"); }

}  // namespace switchsim::config
