#!/usr/bin/env bash
# Configures (once) and builds switchsim in build/ (Release). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d /usr/local/cuda/bin ] && export PATH="/usr/local/cuda/bin:$PATH"
if [ ! -f build/build.ninja ]; then
  # Only switchsim's own status lines (e.g. why the build is CPU-only); errors go to stderr.
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" | { grep -E '^-- switchsim:' || true; }
fi
cmake --build build -j "$(nproc)"
