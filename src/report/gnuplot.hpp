#pragma once
// Runs gnuplot as a child process to draw one SVG. The caller gives the plotting commands
// and the data files they read (by bare file name); this writes them into a fresh temporary
// directory, prepends the terminal settings (svg, fixed size, no timestamps), runs
// `gnuplot script.gp` there, checks its exit status, reads the SVG back and removes the
// directory. The same script and data give byte-identical SVG.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace switchsim::report {

// gnuplot is missing, failed, or its output could not be read. what() is one line.
class ToolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DataFile {
  std::string name;     // bare file name, e.g. "series-0.dat"
  std::string content;  // whitespace-separated columns, one point per line
};

struct SvgSize {
  int width = 900;
  int height = 480;
};

std::string render_svg(const std::string& commands, const std::vector<DataFile>& data, SvgSize size = {});

// gnuplot's string syntax: "text" with \ and " escaped (and no enhanced-text markup).
std::string gnuplot_quote(const std::string& text);

}  // namespace switchsim::report
