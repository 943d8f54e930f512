// End-to-end sweep speed: a 100-point sweep (10 expert counts x 10 capacity factors) of
// switch-base-128 on h100-fat-tree-1024, run as a user would (this binary's `sweep`
// subcommand, all cores, flow-level network). Goal (issue 8): < 60 s on 2 cores.

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "bench/benchmark.hpp"

namespace switchsim::bench {
namespace {

std::string self_path() {
  std::array<char, 4096> exe{};
  const ssize_t len = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
  if (len <= 0) throw std::runtime_error("cannot find this program's path");
  return std::string(exe.data(), static_cast<std::size_t>(len));
}

void run_case(const std::string& network, bool quick, double goal_s) {
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("switchsim_bench_sweep_{}", ::getpid());
  const std::string experts = quick ? "8,16" : "2,4,8,16,32,64,128,256,512,1024";
  const std::string factors = quick ? "1.0,2.0" : "0.5,0.75,1.0,1.25,1.5,1.75,2.0,2.25,2.5,3.0";
  const int points = quick ? 4 : 100;
  const std::string command =
      fmt::format("'{}' sweep --model switch-base-128 --cluster h100-fat-tree-1024 --experts {} --capacity-factor {} "
                  "--network {} --quiet --out '{}' >/dev/null",
                  self_path(), experts, factors, network, dir.string());
  int status = 0;
  const double seconds = time_seconds([&] { status = std::system(command.c_str()); });
  std::filesystem::remove_all(dir);
  if (status != 0) throw std::runtime_error("bench sweep: the sweep failed: " + command);
  fmt::print("sweep/{:<12} points={:<4} threads={} wall_s={:.2f}  goal_s={:.0f}  goal_ratio={:.2f}  points_per_s={:.1f}\n",
             network, points, std::thread::hardware_concurrency(), seconds, goal_s, seconds / goal_s, points / seconds);
}

}  // namespace

Benchmark sweep_benchmark() {
  return Benchmark{"sweep", "100-point sweep of switch-base-128 on h100-fat-tree-1024 (goal < 60 s on 2 cores)",
                   [](bool quick) {
                     run_case("flow", quick, 60.0);
                     run_case("closed-form", quick, 60.0);
                   }};
}

}  // namespace switchsim::bench
