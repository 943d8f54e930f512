#!/usr/bin/env bash
# Builds switchsim with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, no CUDA)
# and runs the whole test suite under them. -O1 without debug info and a unity build of the
# libraries, and the test files at -O0 (tests/CMakeLists.txt), keep this stage's build short on
# 2 cores (it was most of CI's 20 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ ! -f build-asan/build.ninja ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O1 -DCMAKE_UNITY_BUILD=ON -DSWITCHSIM_SANITIZE=ON -DSWITCHSIM_CUDA=OFF >/dev/null
fi
cmake --build build-asan -j "$(nproc)"
# Open MPI's own allocations are never freed: leak reports there are not ours.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The configure, install and script checks test the build and a shell script, not the code
# under the sanitizers: the normal stage runs them.
# Four end-to-end tests that simulate whole published tables and 128-GPU steps take 30-75 s
# each under the sanitizers (8-20x their normal time, 3.5 of this stage's 5 minutes of
# test CPU): the normal stage runs them; here the unit tests cover the same code (the flow
# network, the step, validate's rows, the report's sections) at sizes the sanitizers can afford.
heavy="ring all-reduce row on one NVSwitch node: validate prints|DeepSpeed-MoE rows simulate what they state"
heavy="$heavy|oversubscribed fat tree \(flow network\)|report --published adds the section"
cd build-asan && ctest --output-on-failure -j "$(nproc)" -LE "^(configure|install|script)$" -E "$heavy"
