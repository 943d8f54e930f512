// The CUDA reference's API (api.hpp) as `switchsim` sees it: every call runs the switchsim-cuda
// helper (helper_main.cpp) with one request (wire.hpp), so this binary never links or loads the
// CUDA runtime, cuBLAS, cuBLASLt or NCCL. Without the helper (a build without CUDA) every entry
// point says so: NoCudaDevice, which the CLI turns into exit 3.
// Helper lookup: $SWITCHSIM_CUDA_HELPER, else switchsim-cuda next to the running executable,
// else the build tree's (SWITCHSIM_CUDA_HELPER_BUILD_PATH; the tests run from another folder).

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ref/cuda/api.hpp"
#include "ref/cuda/wire.hpp"

extern char** environ;

namespace switchsim::ref::cuda {
namespace {

constexpr const char* kHelper = "switchsim-cuda";

std::optional<std::string> helper_path() {
  auto usable = [](const std::filesystem::path& p) { return access(p.c_str(), X_OK) == 0; };
  if (const char* env = std::getenv("SWITCHSIM_CUDA_HELPER"); env != nullptr && *env != '\0')
    return usable(env) ? std::optional<std::string>(env) : std::nullopt;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && usable(self.parent_path() / kHelper)) return (self.parent_path() / kHelper).string();
#ifdef SWITCHSIM_CUDA_HELPER_BUILD_PATH
  if (usable(SWITCHSIM_CUDA_HELPER_BUILD_PATH)) return std::string(SWITCHSIM_CUDA_HELPER_BUILD_PATH);
#endif
  return std::nullopt;
}

std::string no_helper_reason() {
  return "switchsim was built without CUDA (no switchsim-cuda helper next to the switchsim binary; "
         "SWITCHSIM_CUDA_HELPER names another)";
}

// Runs `helper verb` with `request` on its stdin; returns its parsed reply's result (or throws
// what the reply says). The helper's stderr is ours, so its progress and errors show.
nlohmann::json call(const std::string& verb, const nlohmann::json& request) {
  const auto helper = helper_path();
  if (!helper) throw NoCudaDevice(no_helper_reason());
  std::array<int, 2> in{}, out{};
  if (pipe2(in.data(), O_CLOEXEC) != 0 || pipe2(out.data(), O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("switchsim-cuda: pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::string path = *helper;
  std::string verb_arg = verb;
  std::vector<char*> argv{path.data(), verb_arg.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    throw std::runtime_error("cannot start " + path + ": " + std::strerror(spawned));
  }
  const std::string text = request.dump();
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = write(in[1], text.data() + written, text.size() - written);
    if (n <= 0) break;  // the helper exited early: its reply (or status) says why
    written += static_cast<std::size_t>(n);
  }
  close(in[1]);
  std::string reply;
  std::array<char, 65536> buffer{};
  for (;;) {
    const auto n = read(out[0], buffer.data(), buffer.size());
    if (n > 0) {
      reply.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(reply);
  } catch (const nlohmann::json::exception&) {
    const std::string how = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                : "exited with status " + std::to_string(WEXITSTATUS(status));
    throw std::runtime_error(path + " " + verb + " " + how + " without a reply");
  }
  return wire::rethrow_if_error(parsed);
}

}  // namespace

bool built_with_cuda() { return helper_path().has_value(); }

bool cuda_available(std::string& why_not) {
  try {
    const auto r = call("available", nlohmann::json::object());
    why_not = r.at("why_not").get<std::string>();
    return r.at("available").get<bool>();
  } catch (const NoCudaDevice& e) {
    why_not = e.what();
    return false;
  }
}

CudaLayerResult measure_layer_detailed(const LayerSpec& spec, const RunOptions& options) {
  if (options.mpi)
    throw std::invalid_argument(
        "ref/cuda: RunOptions::mpi runs in the ranks' own processes (switchsim_cuda_probe --mpi under mpirun)");
  return wire::layer_result_from_json(call("measure", {{"spec", to_json(spec)}, {"options", wire::to_json(options)}}));
}

LayerMeasurement measure_layer(const LayerSpec& spec, const RunOptions& options) {
  return measure_layer_detailed(spec, options).measurement;
}

nlohmann::json device_context() {
  try {
    return call("context", nlohmann::json::object());
  } catch (const NoCudaDevice& e) {
    return nlohmann::json{{"cuda_available", false}, {"reason", e.what()}};
  }
}

KernelBench run_kernel_bench(bool quick) { return wire::kernel_bench_from_json(call("bench", {{"quick", quick}})); }

nlohmann::json run_kernel_checks() { return call("checks", nlohmann::json::object()); }

}  // namespace switchsim::ref::cuda
