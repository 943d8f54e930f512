#!/usr/bin/env bash
# Configures (once) and builds switchsim in build/ (Release). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
if [ ! -f build/build.ninja ]; then
  # Only switchsim's own status lines (e.g. why the build is CPU-only); errors go to stderr.
  # A unity build of the libraries parses fmt, nlohmann/json, Boost.Graph and CLI11 once per batch of
  # files instead of once per file: most of a 2-core build's time. The test files stay separate
  # (tests/CMakeLists.txt). Pass -DCMAKE_UNITY_BUILD=OFF to build file by file.
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON "$@" | { grep -E '^-- switchsim:' || true; }
fi
cmake --build build -j "$(nproc)"
