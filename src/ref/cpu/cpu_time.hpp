#pragma once
// Who used the CPUs during a measurement: the machine's busy time from /proc/stat, and the
// measuring process's own CPU time from getrusage. Their difference over the run is the work of
// everything else on the machine, measured directly. The 1-minute load average it replaces as the
// sign of a busy machine lags by minutes: a run that starts right after another still sees the
// first one's load ("load 1.9 on 2 cores") on a machine nothing else uses.
//
// /proc/stat's first line ("cpu  user nice system idle iowait irq softirq steal guest
// guest_nice", in clock ticks summed over all CPUs, proc(5)): busy = user + nice + system + irq +
// softirq + steal, elapsed = busy + idle + iowait. guest and guest_nice are already counted in
// user and nice, so they are left out. steal (time a hypervisor gave this VM's CPUs to others)
// is busy: our ranks could not run then either.

#include <cstdint>
#include <optional>
#include <string>

namespace switchsim::ref::cpu {

struct CpuTicks {
  std::int64_t busy = 0;
  std::int64_t elapsed = 0;  // busy + idle + iowait, over all CPUs
};

// The "cpu " line of /proc/stat's text; nullopt when it has none or fewer than 4 numbers.
std::optional<CpuTicks> parse_proc_stat(const std::string& text);
// /proc/stat now; nullopt where it can't be read (not Linux).
std::optional<CpuTicks> read_proc_stat();
// Clock ticks per second (sysconf(_SC_CLK_TCK)), the unit of /proc/stat.
double clock_ticks_per_second();
// CPU time (user + system, all threads) this process has used so far, in seconds.
double own_cpu_seconds();

}  // namespace switchsim::ref::cpu
