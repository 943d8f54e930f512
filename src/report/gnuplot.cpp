#include "report/gnuplot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace switchsim::report {
namespace {

namespace fs = std::filesystem;

// A temporary directory removed when the guard goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "switchsim-plot-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw ToolError(fmt::format("cannot create a temporary directory for gnuplot: {}", std::strerror(errno)));
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw ToolError(fmt::format("cannot write {}", path.string()));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string first_line(const std::string& text) {
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t") != std::string::npos) return line;
  return "(no message)";
}

}  // namespace

std::string gnuplot_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string render_svg(const std::string& commands, const std::vector<DataFile>& data, SvgSize size) {
  TempDir dir;
  for (const auto& file : data) write_text(dir.path() / file.name, file.content);
  const std::string script = fmt::format(
      "cd {}\n"
      "set terminal svg size {},{} fixed noenhanced font \"sans,11\" background rgb \"white\"\n"
      "set output \"plot.svg\"\n"
      "set encoding utf8\n"
      "{}\n"
      "unset output\n",
      gnuplot_quote(dir.path().string()), size.width, size.height, commands);
  write_text(dir.path() / "plot.gp", script);

  const std::string script_path = (dir.path() / "plot.gp").string();
  const std::string log_path = (dir.path() / "gnuplot.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string program = "gnuplot";
  std::vector<char*> argv{program.data(), const_cast<char*>(script_path.c_str()), nullptr};
  pid_t pid = 0;
  const int spawn_error = ::posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error == ENOENT)
    throw ToolError("gnuplot is not installed (on Debian: apt-get install gnuplot-nox); it draws the report's plots");
  if (spawn_error != 0) throw ToolError(fmt::format("cannot run gnuplot: {}", std::strerror(spawn_error)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw ToolError(fmt::format("waiting for gnuplot failed: {}", std::strerror(errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw ToolError(fmt::format("gnuplot failed ({}): {}",
                                WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status))
                                                  : fmt::format("signal {}", WTERMSIG(status)),
                                first_line(read_text(log_path))));
  std::string svg = read_text(dir.path() / "plot.svg");
  if (svg.find("</svg>") == std::string::npos) throw ToolError("gnuplot wrote no complete SVG");
  return svg;
}

}  // namespace switchsim::report
