// switchsim-cuda: the CUDA reference in its own executable (wire.hpp). `switchsim` runs it for
// the CUDA subcommands (measure/calibrate/validate --target cuda, bench kernels), so that the main
// binary never loads the CUDA libraries. Usage: switchsim-cuda VERB < request.json > reply.json,
// VERB one of available, context, measure, bench, checks. Exit 0 with a reply, 3 when the reply
// says no device, 2 for a spec the reference refuses, 1 for any other failure.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "ref/cuda/api.hpp"
#include "ref/cuda/wire.hpp"

namespace {

using namespace switchsim::ref::cuda;

nlohmann::json serve(const std::string& verb, const nlohmann::json& request) {
  if (verb == "available") {
    std::string why;
    const bool available = cuda_available(why);
    return {{"available", available}, {"why_not", why}};
  }
  if (verb == "context") return device_context();
  if (verb == "measure")
    return wire::to_json(
        measure_layer_detailed(wire::spec_from_json(request.at("spec")), wire::run_options_from_json(request.at("options"))));
  if (verb == "bench") return wire::to_json(run_kernel_bench(request.value("quick", false)));
  if (verb == "checks") return run_kernel_checks();
  throw std::invalid_argument("switchsim-cuda: unknown verb '" + verb +
                              "' (available, context, measure, bench, checks)");
}

}  // namespace

int main(int argc, char** argv) {
  // The reply goes to the original stdout; anything the libraries print goes to stderr.
  const int reply_fd = dup(STDOUT_FILENO);
  std::fflush(stdout);
  dup2(STDERR_FILENO, STDOUT_FILENO);
  const std::string verb = argc > 1 ? argv[1] : "";
  nlohmann::json reply;
  int code = 0;
  try {
    nlohmann::json request = nlohmann::json::object();
    if (!isatty(STDIN_FILENO)) {
      const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
      if (!text.empty()) request = nlohmann::json::parse(text);
    }
    reply = wire::ok(serve(verb, request));
  } catch (const NoCudaDevice& e) {
    reply = wire::error("no_device", e.what());
    code = 3;
  } catch (const std::invalid_argument& e) {
    reply = wire::error("invalid_argument", e.what());
    code = 2;
  } catch (const std::exception& e) {
    reply = wire::error("error", e.what());
    code = 1;
  }
  const std::string text = reply.dump() + "\n";
  std::size_t written = 0;
  while (written < text.size()) {
    const auto n = write(reply_fd, text.data() + written, text.size() - written);
    if (n <= 0) return 1;
    written += static_cast<std::size_t>(n);
  }
  close(reply_fd);
  return code;
}
