#!/usr/bin/env bash
# Validates the CUDA reference (src/ref/cuda) on a machine with an NVIDIA GPU.
#
#   scripts/gpu-validate.sh bundle   # on a build host with the Debian deps and CUDA 13:
#                                    # builds build-gpu/ and copies the binaries plus the
#                                    # non-CUDA shared libraries they need into gpu-bundle/
#   scripts/gpu-validate.sh run      # on the GPU machine (no network needed): runs the tests,
#                                    # `switchsim bench kernels` and the measurement sweep
#                                    # experts {8,16,32,64,128} x cf {1.0,1.25,2.0} on one GPU,
#                                    # then `switchsim calibrate --target cuda` and
#                                    # `switchsim validate --target cuda` on that grid (predicted
#                                    # vs measured per phase; goal median |err_step_time| <= 5%)
#   scripts/gpu-validate.sh all      # both, where the GPU machine can build
#
# Results: traces/measured/${SWITCHSIM_GPU_TAG:-h100}-<what>-<UTC date>.json and .txt (device
# profile: -device-, validation table: -validate-); when $OUT is set (the device runner), copies
# go there too. Commit the traces/measured/h100-*.json files afterwards (git add + commit in the
# session that ran this). Environment: SWITCHSIM_GPU_TAG (default
# h100), SWITCHSIM_TOKENS (tokens per rank, default 8192), SWITCHSIM_REPEATS (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
tag="${SWITCHSIM_GPU_TAG:-h100}"
tokens="${SWITCHSIM_TOKENS:-8192}"
repeats="${SWITCHSIM_REPEATS:-20}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
build="${SWITCHSIM_GPU_BUILD_DIR:-build-gpu}"  # an existing CUDA-enabled build dir may be reused
export PATH="/usr/local/cuda/bin:$PATH"

bundle() {
  [ -x /usr/local/cuda/bin/nvcc ] || { echo "gpu-validate: nvcc not found at /usr/local/cuda/bin" >&2; exit 2; }
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWITCHSIM_CUDA=ON \
      -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc >/dev/null
  fi
  grep -q "SWITCHSIM_HAVE_CUDA:INTERNAL=ON\|switchsim_cuda_probe" "$build/build.ninja" \
    || { echo "gpu-validate: $build was configured without CUDA" >&2; exit 2; }
  cmake --build "$build" -j "$(nproc)" --target switchsim switchsim_cuda_probe switchsim_tests
  rm -rf gpu-bundle && mkdir -p gpu-bundle/lib
  cp "$build/src/cli/switchsim" "$build/src/ref/cuda/switchsim_cuda_probe" "$build/tests/switchsim_tests" gpu-bundle/
  # Everything the binaries need that is neither CUDA (present on the GPU machine) nor glibc/libstdc++.
  for bin in gpu-bundle/switchsim gpu-bundle/switchsim_cuda_probe gpu-bundle/switchsim_tests; do
    ldd "$bin" | awk '/=> \// {print $3}' | grep -v -E '/usr/local/cuda|libc\.so|libm\.so|libstdc\+\+|libgcc_s|libdl|libpthread|librt' \
      | xargs -r -I{} cp -L {} gpu-bundle/lib/
  done
  # switchsim_tests has this checkout's absolute paths baked in: on another machine the CLI and
  # source-relative tests fail; the ref/cuda tests (what matters there) do not depend on them.
  echo "gpu-validate: bundle ready in gpu-bundle/ ($(du -sh gpu-bundle | cut -f1)); carry gpu-bundle"
}

run() {
  local bin=gpu-bundle
  [ -x "$bin/switchsim" ] || bin="$build/src/cli"
  local probe=gpu-bundle/switchsim_cuda_probe
  [ -x "$probe" ] || probe="$build/src/ref/cuda/switchsim_cuda_probe"
  # Only the bundled libraries this machine lacks go on the path (its own libz etc. win).
  rm -rf gpu-bundle/lib-missing && mkdir -p gpu-bundle/lib-missing
  for lib in gpu-bundle/lib/*; do
    [ -e "$lib" ] || continue
    ldconfig -p | grep -q "$(basename "$lib")" || ln -sf "$PWD/$lib" gpu-bundle/lib-missing/
  done
  export LD_LIBRARY_PATH="$PWD/gpu-bundle/lib-missing:/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}"
  mkdir -p traces/measured
  local base="traces/measured/${tag}"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "${base}-gpu-${stamp}.txt"
  if [ -x gpu-bundle/switchsim_tests ]; then
    # The cuda tests skip themselves where a device is present; this checks the rest still passes.
    gpu-bundle/switchsim_tests "*CUDA*,*cuBLAS*,*warp*,*scan*,*slots*,*einsum*,*workspace*" 2>&1 | tail -3 \
      | tee -a "${base}-gpu-${stamp}.txt" || true
  fi
  "$bin/switchsim" bench kernels 2>&1 | tee "${base}-bench-kernels-${stamp}.txt"
  # Correctness first: our gather kernels against the one-hot einsum path on the same inputs.
  "$probe" --experts 8,64 --capacity-factors 1.0,2.0 --tokens 2048 --repeats 3 --check \
    --out "${base}-check-${stamp}.json"
  "$probe" --experts 8,16,32,64,128 --capacity-factors 1.0,1.25,2.0 --tokens "$tokens" --repeats "$repeats" \
    --out "${base}-switch-base-${stamp}.json"
  "$probe" --experts 8,16,32,64,128 --capacity-factors 1.0,1.25,2.0 --tokens "$tokens" --repeats "$repeats" --einsum \
    --out "${base}-switch-base-einsum-${stamp}.json"
  "$probe" --experts 8,64 --capacity-factors 1.0 --tokens "$tokens" --repeats "$repeats" --padding dropless \
    --routing zipf:1.0 --out "${base}-dropless-zipf-${stamp}.json"
  # The simulator against the measurement: calibrate this GPU, then predict and measure the grid.
  # SWITCHSIM_DATA_DIR: the bundled binary finds models/ and hardware/ (base device, cluster) here.
  export SWITCHSIM_DATA_DIR="$PWD"
  if "$bin/switchsim" calibrate --target cuda --name "${tag}-calibrated" --out "${base}-device-${stamp}.json" \
      2>&1 | tee "${base}-calibrate-${stamp}.txt"; then
    "$bin/switchsim" validate --target cuda --ranks 1 --experts 8,16,32,64,128 --capacity-factor 1.0,1.25,2.0 \
      --tokens "$tokens" --d-model 768 --d-ff 2048 --ffn geglu --warmup 3 --repeats "$repeats" \
      --profile "${base}-device-${stamp}.json" --json --out "${base}-validate-${stamp}.json" \
      || echo "gpu-validate: switchsim validate --target cuda failed (see above)" >&2
    "$bin/switchsim" validate --measured "${base}-validate-${stamp}.json" --profile "${base}-device-${stamp}.json" \
      --cluster dgx-h100-8 2>&1 | tail -3 | tee -a "${base}-calibrate-${stamp}.txt" || true
  else
    echo "gpu-validate: switchsim calibrate --target cuda failed (see above)" >&2
  fi
  if [ -n "${OUT:-}" ]; then cp traces/measured/${tag}-*"${stamp}"* "$OUT"/; fi
  echo "gpu-validate: results in traces/measured/${tag}-*-${stamp}.*"
}

case "$mode" in
  bundle) bundle ;;
  run) run ;;
  all) bundle && run ;;
  *) echo "usage: scripts/gpu-validate.sh [bundle|run|all]" >&2; exit 2 ;;
esac
