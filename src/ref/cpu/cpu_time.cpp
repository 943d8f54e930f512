#include "ref/cpu/cpu_time.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <iterator>
#include <sstream>

namespace switchsim::ref::cpu {

std::optional<CpuTicks> parse_proc_stat(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    if (!(fields >> name) || name != "cpu") continue;
    // user nice system idle iowait irq softirq steal: kernels before 2.6 stop after idle.
    std::array<std::int64_t, 8> v{};
    std::size_t read = 0;
    while (read < v.size() && fields >> v[read]) {
      if (v[read] < 0) return std::nullopt;
      ++read;
    }
    if (read < 4) return std::nullopt;
    const std::int64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return CpuTicks{busy, busy + v[3] + v[4]};
  }
  return std::nullopt;
}

std::optional<CpuTicks> read_proc_stat() {
  std::ifstream in("/proc/stat");
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return parse_proc_stat(text);
}

double clock_ticks_per_second() {
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;
}

double own_cpu_seconds() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

}  // namespace switchsim::ref::cpu
