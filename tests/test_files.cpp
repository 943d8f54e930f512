#include "test_files.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace switchsim::test {

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path fresh_dir(const std::string& name, bool create) {
  const auto dir = std::filesystem::temp_directory_path() / ("switchsim_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  if (create) std::filesystem::create_directories(dir);
  return dir;
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

const config::Catalog& catalog() {
  static const config::Catalog c(SWITCHSIM_SOURCE_DIR);
  return c;
}

}  // namespace switchsim::test
