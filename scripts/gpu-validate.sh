#!/usr/bin/env bash
# Validates the CUDA reference (src/ref/cuda) and the layer model against it on one GPU, in one
# prepared run that fits a short lease on a device machine (README: "Validating on a GPU").
#
#   scripts/gpu-validate.sh pack       # here, on a host with the Debian deps: writes .gpu-deps.tar.xz,
#                                      # the headers and libraries the GPU machine lacks (fmt, CLI11,
#                                      # nlohmann-json, Catch2, the Boost headers topology/ uses, Open MPI,
#                                      # OpenBLAS) plus the source's git sha; seconds, about 15 MB
#   scripts/gpu-validate.sh run        # on the GPU machine, from the repository root (no network):
#                                      # configure + build with all cores, then the checks, calibrate,
#                                      # validate (measure + predict) of experts {8,16,32,64,128} x
#                                      # cf {1.0,1.25,2.0}, bench kernels; under 8 minutes; results in $OUT
#   scripts/gpu-validate.sh --dry-run  # CI, on a CPU: the arguments, the output layout, and that the
#                                      # bundle configures with nothing but itself and CUDA (cmake
#                                      # configure only, no build); with --compile also two sources
#                                      # that include every bundled header family compile, with no
#                                      # header taken from this host (a minute or two)
#
# Options (run): --out DIR (default $OUT, else runs/gpu-validate-<UTC stamp>), --tokens N (tokens per
# rank, default 8192), --repeats N (default 20), --jobs N (default nproc), --budget-s S (wall-time
# budget for the whole run, default 450; steps that would not fit are skipped and say so),
# --prebuilt DIR (switchsim and switchsim-cuda built here for sm_90, e.g. copied from a build with
# -DCMAKE_CUDA_ARCHITECTURES=90 into .gpu-prebuilt/ and carried: saves the device build's minutes
# of a short lease; used only if its helper answers `context` there, else the run builds).
#
# Output (flat, at most 8 files, names of letters, digits, '.', '_' and '-': what a device runner
# returns from $OUT):
#   context.json                    GPU, driver, CUDA, NCCL, cuBLAS versions, date, git sha, step times
#   build.log                       configure + build
#   checks.json                     measure --target cuda --check: kernel checks + einsum comparison
#   TAG-calibrated-device.json      calibrate --target cuda (TAG from the GPU's name, e.g. h200)
#   TAG-calibrated-cluster-1.json   its one-GPU cluster (written by calibrate)
#   validate.json                   validate --target cuda --json over the 15 configurations
#   bench-kernels.txt               bench kernels: ratios to the measured peaks, einsum baseline ratio
#   summary.txt                     every step's log and the validation table; its end is printed last
# Afterwards (a human, on a machine with git): copy the files to traces/measured/<TAG>-<date>/ and
# the device file to hardware/, then commit (issue 16, item 6).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
archive=.gpu-deps.tar.xz
layout_files=(context.json build.log checks.json TAG-calibrated-device.json TAG-calibrated-cluster-1.json
              validate.json bench-kernels.txt summary.txt)
experts=8,16,32,64,128
capacity_factors=1.0,1.25,2.0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
die() { echo "gpu-validate: $*" >&2; exit 2; }

# ---- options ---------------------------------------------------------------------------------
mode=""
out=""
tokens=8192
repeats=20
jobs="$(nproc)"
budget_s=450
compile=0
prebuilt=""
while [ $# -gt 0 ]; do
  case "$1" in
    pack|run) [ -z "$mode" ] || die "one mode only (got $mode and $1)"; mode="$1" ;;
    --dry-run|dry-run) [ -z "$mode" ] || die "one mode only (got $mode and $1)"; mode=dry-run ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift ;;
    --tokens) [ $# -ge 2 ] || die "--tokens needs a number"; tokens="$2"; shift ;;
    --repeats) [ $# -ge 2 ] || die "--repeats needs a number"; repeats="$2"; shift ;;
    --jobs) [ $# -ge 2 ] || die "--jobs needs a number"; jobs="$2"; shift ;;
    --budget-s) [ $# -ge 2 ] || die "--budget-s needs a number"; budget_s="$2"; shift ;;
    --compile) compile=1 ;;
    --prebuilt) [ $# -ge 2 ] || die "--prebuilt needs a directory"; prebuilt="$2"; shift ;;
    -h|--help) usage ;;
    *) die "unknown argument '$1' (pack, run or --dry-run; see --help)" ;;
  esac
  shift
done
[ -n "$mode" ] || usage
for n in "$tokens" "$repeats" "$jobs" "$budget_s"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "'$n' is not a positive integer"
done

# ---- the output layout -------------------------------------------------------------------------
# A device runner returns at most 8 files from $OUT, 16 MiB each, named in [A-Za-z0-9._-].
check_layout() {
  local tag="$1"
  [ "${#layout_files[@]}" -le 8 ] || die "layout has ${#layout_files[@]} files, more than the 8 a device run returns"
  local f
  for f in "${layout_files[@]}"; do
    f="${f//TAG/$tag}"
    [[ "$f" =~ ^[A-Za-z0-9._-]+$ ]] || die "output file name '$f' has characters a device run does not return"
  done
}

# ---- pack: the dependencies the GPU machine lacks ---------------------------------------------
multiarch="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
lib="/usr/lib/$multiarch"

pack_into() {  # $1: prefix directory to fill (its usr/ mirrors /usr)
  local dest="$1" f
  mkdir -p "$dest"
  copy() {
    for f in "$@"; do
      [ -e "$f" ] || die "pack: $f missing (scripts/install-deps.sh)"
      (cd / && cp -a --parents "${f#/}" "$dest")
    done
  }
  copy /usr/include/fmt /usr/include/CLI /usr/include/nlohmann /usr/include/catch2
  copy "$lib/cmake/fmt" /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json /usr/lib/cmake/Catch2
  copy "$lib"/libfmt.so* /usr/lib/libCatch2WithMain.a
  # Boost: the libraries topology/ includes, whole (another compiler may take other branches inside
  # them), found from the include closure, and Boost's CMake package files.
  local boost_parts
  boost_parts="$(for src in src/topology/*.cpp; do
      g++ -std=c++20 -M -MT x -Isrc "$src"; done | tr ' \\' '\n\n' | grep '^/usr/include/boost/' |
      sed -E 's|^(/usr/include/boost/[^/]+)/.*|\1|' | sort -u)"
  [ -n "$boost_parts" ] || die "pack: found no Boost headers included by src/topology"
  # shellcheck disable=SC2086
  copy $boost_parts /usr/include/boost/version.hpp /usr/include/boost/config
  copy "$lib"/cmake/Boost-* "$lib"/cmake/boost_headers-* "$lib"/cmake/BoostDetectToolset-*.cmake
  # Open MPI (headers and the libraries switchsim links; no launcher: the CUDA paths never start MPI).
  copy "$lib/openmpi/include"
  copy "$lib"/libmpi.so* "$lib"/libmpi_cxx.so* "$lib"/libopen-rte.so* "$lib"/libopen-pal.so* \
       "$lib"/libhwloc.so.15* "$lib"/libevent_core-2.1.so.7* "$lib"/libevent_pthreads-2.1.so.7*
  # OpenBLAS (linked by the CPU reference; the CUDA paths never call it) and its runtime.
  copy "$(readlink -f /usr/include/"$multiarch"/cblas.h)" "$(readlink -f /usr/include/"$multiarch"/openblas_config.h)"
  copy "$lib"/openblas-pthread/libopenblas*.so* "$lib"/libgfortran.so.5* "$lib"/libquadmath.so.0*
  # What those need and a minimal image may lack (used there only when missing: run's lib-missing).
  copy "$lib"/libudev.so.1* "$lib"/libz.so.1*
  local sha dirty
  sha="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  dirty="$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)"
  printf '{"git_sha": "%s", "uncommitted_files": %s, "packed_utc": "%s", "packed_on": "%s"}\n' \
    "$sha" "$dirty" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" >"$dest/bundle.json"
}

# The CMake arguments that make a configure use the bundle at $1 (and CUDA) and nothing else.
bundle_cmake_args() {
  local p="$1/usr" l="$1$lib"
  printf '%s\n' \
    "-DCMAKE_PREFIX_PATH=$p" \
    "-DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF" \
    "-DCMAKE_CXX_FLAGS=-isystem $p/include/$multiarch/openblas-pthread" \
    "-DMPI_SKIP_COMPILER_WRAPPER=ON" \
    "-DCMAKE_DISABLE_FIND_PACKAGE_PkgConfig=ON" \
    "-DMPI_CXX_SKIP_MPICXX=ON" \
    "-DMPI_CXX_HEADER_DIR=$l/openmpi/include" \
    "-DMPI_CXX_LIB_NAMES=mpi" \
    "-DMPI_mpi_LIBRARY=$l/libmpi.so" \
    "-DBLA_VENDOR=OpenBLAS" \
    "-DBLAS_openblas_LIBRARY=$l/openblas-pthread/libopenblas.so" \
    "-DBLAS_LIBRARIES=$l/openblas-pthread/libopenblas.so" \
    "-DSWITCHSIM_WERROR=OFF"
}

# NCCL: the CUDA toolkit's, else the one a Python wheel (nvidia-nccl-cu13) brought.
nccl_cmake_args() {
  local inc="" libfile=""
  if [ -f /usr/local/cuda/include/nccl.h ] && ls /usr/local/cuda/lib64/libnccl.so* >/dev/null 2>&1; then
    inc=/usr/local/cuda/include
    libfile="$(ls /usr/local/cuda/lib64/libnccl.so* | head -1)"
  else
    # nvidia.nccl is a namespace package (no __file__): take its first __path__ entry.
    local base
    base="$(python3 -c 'import nvidia.nccl; print(list(nvidia.nccl.__path__)[0])' 2>/dev/null || true)"
    if [ -n "$base" ] && [ -f "$base/include/nccl.h" ]; then
      inc="$base/include"
      libfile="$(ls "$base"/lib/libnccl.so* | head -1)"
    fi
  fi
  [ -n "$inc" ] || { echo "gpu-validate: no NCCL found (CUDA toolkit or nvidia-nccl wheel)" >&2; return 1; }
  printf '%s\n' "-DNCCL_INCLUDE_DIR=$inc" "-DNCCL_LIBRARY=$libfile"
}

# Folders holding the CUDA runtime, cuBLAS and NCCL libraries: the toolkit's, then those of the NVIDIA
# Python wheels (a PyTorch image may carry them there only), for a helper built elsewhere.
cuda_library_dirs() {
  local d
  for d in /usr/local/cuda/lib64 /usr/local/cuda/lib; do [ -d "$d" ] && echo "$d"; done
  python3 - <<'PY' 2>/dev/null || true
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
for root in roots:
    for d in sorted(glob.glob(os.path.join(root, "nvidia", "*", "lib"))):  # nccl/lib, cu13/lib, ...
        if glob.glob(os.path.join(d, "lib*.so*")):
            print(d)
PY
}

pack() {
  local tmp
  tmp="$(mktemp -d)"
  pack_into "$tmp/deps"
  tar -C "$tmp" -cJf "$archive.tmp" deps
  mv "$archive.tmp" "$archive"
  rm -rf "$tmp"
  local bytes
  bytes="$(stat -c %s "$archive")"
  [ "$bytes" -le $((40 * 1024 * 1024)) ] || die "$archive is $bytes bytes: too large to travel with the tree (64 MiB)"
  echo "gpu-validate: wrote $archive ($((bytes / 1024 / 1024)) MiB); carry it: run(command='bash scripts/gpu-validate.sh run', carry=['$archive'])"
}

# ---- dry run (CI) -------------------------------------------------------------------------------
dry_run() {
  check_layout h200
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  pack_into "$tmp/deps"
  [ -f "$tmp/deps/bundle.json" ] || die "dry run: the bundle has no bundle.json"
  local args=()
  mapfile -t args < <(bundle_cmake_args "$tmp/deps")
  if [ -x /usr/local/cuda/bin/nvcc ]; then
    local nccl=()
    mapfile -t nccl < <(nccl_cmake_args) || die "dry run: nvcc present but no NCCL"
    args+=("${nccl[@]}" -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
  fi
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if ! cmake -S "$root" -B "$tmp/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "${args[@]}" >"$tmp/configure.log" 2>&1; then
    cat "$tmp/configure.log" >&2
    die "dry run: the bundle does not configure (log above)"
  fi
  # Everything found must come from the bundle (or CUDA), never from this host's /usr.
  local leaks
  leaks="$(grep -E '^(fmt_DIR|CLI11_DIR|nlohmann_json_DIR|Catch2_DIR|Boost_DIR|MPI_mpi_LIBRARY|BLAS_openblas_LIBRARY)[:=]' \
           "$tmp/build/CMakeCache.txt" | grep -v "$tmp/deps" || true)"
  [ -z "$leaks" ] || die "dry run: found outside the bundle: $leaks"
  if [ -x /usr/local/cuda/bin/nvcc ]; then
    grep -q 'CUDA reference ON' "$tmp/configure.log" || die "dry run: nvcc present but the CUDA reference is off"
  fi
  # Translation units that together include every bundled header family (cblas.h and
  # nlohmann-json: validate/cpu_runtime; mpi.h, fmt, CLI11: cli/calibrate; Boost graph: topology)
  # compile, and none of those headers came from this host's /usr.
  if [ "$compile" = 1 ] && command -v ninja >/dev/null; then
    local objects=(src/validate/CMakeFiles/switchsim_validate.dir/cpu_runtime.cpp.o
                   src/cli/CMakeFiles/switchsim.dir/calibrate.cpp.o
                   src/topology/CMakeFiles/switchsim_topology.dir/topology.cpp.o)
    if ! cmake --build "$tmp/build" --target "${objects[@]}" >"$tmp/compile.log" 2>&1; then
      cat "$tmp/compile.log" >&2
      die "dry run: a source does not compile against the bundle (log above)"
    fi
    leaks="$(cd "$tmp/build" && ninja -t deps "${objects[@]}" |
             grep -E '^ +/usr/(include/(boost|fmt|CLI|nlohmann|catch2)/|include/[^/]+/(cblas|openblas)|lib/.*openmpi)' || true)"
    [ -z "$leaks" ] || die "dry run: headers found outside the bundle: $(echo "$leaks" | head -3)"
  fi
  echo "gpu-validate: dry run ok (arguments, layout of ${#layout_files[@]} files, bundle configures: $(grep -o 'CUDA reference [A-Z]*' "$tmp/configure.log"))"
}

# ---- run (GPU machine) --------------------------------------------------------------------------
run() {
  local start=$SECONDS
  local dest="${out:-${OUT:-runs/gpu-validate-$(date -u +%Y%m%dT%H%M%SZ)}}"
  mkdir -p "$dest"
  dest="$(cd "$dest" && pwd)"
  local summary="$dest/summary.txt"
  : >"$summary"
  log() { echo "$*" | tee -a "$summary"; }
  declare -A step_s=()
  # step NAME TIMEOUT_S CMD...: runs CMD with its output appended to summary.txt, if the budget allows.
  step() {
    local name="$1" limit="$2"
    shift 2
    local left=$((budget_s - (SECONDS - start)))
    if [ "$left" -lt 20 ]; then
      log "== $name: SKIPPED (budget of ${budget_s} s spent)"
      step_s[$name]=skipped
      return 0
    fi
    [ "$limit" -le "$left" ] || limit="$left"
    log "== $name (limit ${limit} s)"
    local t0=$SECONDS rc=0
    timeout -k 10 "$limit" "$@" >>"$summary" 2>&1 || rc=$?
    step_s[$name]="$((SECONDS - t0)) s, exit $rc"
    log "== $name: ${step_s[$name]}"
    return 0
  }

  # Bundle.
  [ -f "$archive" ] || die "run: $archive missing (scripts/gpu-validate.sh pack here, then carry it)"
  local deps="$root/.gpu-deps"
  rm -rf "$deps" && mkdir -p "$deps"
  tar -C "$deps" --strip-components=1 -xJf "$archive"
  # Only the bundled libraries this machine lacks go on the library path (its own libz etc. win,
  # also for cmake, nvcc and python3, which run with this path too).
  mkdir -p "$deps/lib-missing"
  local so
  for so in "$deps$lib"/*.so.* "$deps$lib"/openblas-pthread/*.so*; do
    [ -e "$so" ] || continue
    ldconfig -p | grep -qE "^[[:space:]]$(basename "$so" | sed 's/[.+]/\\&/g') " || ln -sf "$so" "$deps/lib-missing/"
  done
  export LD_LIBRARY_PATH="$deps/lib-missing:${LD_LIBRARY_PATH:-}"
  export PATH="/usr/local/cuda/bin:$PATH"

  # Context first: it says what ran even if everything after fails.
  local gpu tag
  gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)"
  tag="$(echo "${gpu:-gpu}" | tr 'A-Z' 'a-z' | grep -oE 'h200|h100|a100|b200|gb200|l40s' | head -1 || true)"
  tag="${tag:-gpu}"
  check_layout "$tag"
  local sha
  sha="$(git rev-parse HEAD 2>/dev/null || python3 -c 'import json; print(json.load(open(".gpu-deps/bundle.json"))["git_sha"])')"
  log "gpu-validate run: $gpu ($tag), $(nproc) cores, git $sha, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi >>"$summary" 2>&1 || true

  # A helper built elsewhere finds the CUDA libraries here (after the bundle's, before the system's).
  local cuda_dirs
  cuda_dirs="$(cuda_library_dirs | paste -sd: -)"
  [ -z "$cuda_dirs" ] || export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$cuda_dirs"
  local bindir="$root/build-gpu/src/cli"
  if [ -n "$prebuilt" ]; then
    local pre
    pre="$(cd "$prebuilt" 2>/dev/null && pwd || true)"
    if [ -n "$pre" ] && [ -x "$pre/switchsim" ] && [ -x "$pre/switchsim-cuda" ] &&
       echo '{}' | "$pre/switchsim-cuda" context >>"$summary" 2>&1; then
      bindir="$pre"
      log "== build: prebuilt binaries from $prebuilt (their helper answers here)"
      { echo "prebuilt: $pre"; cat "$pre/BUILD_INFO" 2>/dev/null || true; echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
        ldd "$pre/switchsim" "$pre/switchsim-cuda" 2>&1 || true; } >"$dest/build.log"
      step_s[build]=prebuilt
    else
      log "== prebuilt binaries in '$prebuilt' missing or their helper fails here: building"
    fi
  fi
  if [ "$bindir" = "$root/build-gpu/src/cli" ]; then
    # Build: the CLI and its CUDA helper only.
    local args=() nccl=()
    mapfile -t args < <(bundle_cmake_args "$deps")
    mapfile -t nccl < <(nccl_cmake_args) || true
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    step configure 120 cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc -DCMAKE_CUDA_ARCHITECTURES=90 "${args[@]}" "${nccl[@]}"
    step build 300 cmake --build build-gpu -j "$jobs" --target switchsim switchsim-cuda
    sed -n '/^== configure/,/^== build:/p' "$summary" >"$dest/build.log"
  fi
  local sw="$bindir/switchsim"
  export SWITCHSIM_DATA_DIR="$root"
  local grid=(--ranks 1 --experts "$experts" --capacity-factor "$capacity_factors" --tokens "$tokens"
              --d-model 768 --d-ff 2048 --ffn geglu)
  if [ -x "$sw" ] && [ -x "$bindir/switchsim-cuda" ]; then
    # Correctness first: the kernel checks and our kernels against the one-hot einsum path.
    step checks 60 "$sw" measure --target cuda --check --ranks 1 --experts 8,128 --capacity-factor 1.0,2.0 \
      --tokens 4096 --d-model 768 --d-ff 2048 --ffn geglu --warmup 1 --repeats 3 --json --out "$dest/checks.json"
    step calibrate 120 "$sw" calibrate --target cuda --name "$tag-calibrated" --out "$dest/$tag-calibrated-device.json"
    step validate 150 "$sw" validate --target cuda "${grid[@]}" --warmup 3 --repeats "$repeats" \
      --profile "$dest/$tag-calibrated-device.json" --json --out "$dest/validate.json"
    step bench 120 bash -c "'$sw' bench kernels | tee '$dest/bench-kernels.txt'"
    step table 20 "$sw" validate --measured "$dest/validate.json" --profile "$dest/$tag-calibrated-device.json" \
      --cluster "$dest/$tag-calibrated-cluster-1.json"
  else
    log "== build failed: no switchsim / switchsim-cuda (see build.log)"
  fi

  # Context block.
  local steps_json="{" k
  for k in "${!step_s[@]}"; do steps_json+="\"$k\": \"${step_s[$k]}\", "; done
  steps_json="${steps_json%, }}"
  GPU="$gpu" SHA="$sha" STEPS="$steps_json" TOTAL="$((SECONDS - start))" python3 - "$dest/context.json" "$bindir/switchsim-cuda" <<'PY' || true
import json, os, subprocess, sys, datetime
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:
        return f"unavailable: {e}"
ctx = {
    "gpu": os.environ.get("GPU", ""),
    "nvidia_smi": sh("nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,power.limit --format=csv"),
    "driver": sh("nvidia-smi --query-gpu=driver_version --format=csv,noheader"),
    "nvcc": sh("nvcc --version | tail -2"),
    "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "git_sha": os.environ.get("SHA", ""),
    "host_cores": os.cpu_count(),
    "steps": json.loads(os.environ.get("STEPS", "{}")),
    "total_wall_s": int(os.environ.get("TOTAL", "0")),
}
helper = sys.argv[2]
if os.access(helper, os.X_OK):
    try:
        reply = json.loads(subprocess.run([helper, "context"], input="{}", capture_output=True, text=True, timeout=60).stdout)
        ctx["switchsim_cuda_context"] = reply.get("result", reply)  # runtime, cuBLAS, NCCL versions
    except Exception as e:
        ctx["switchsim_cuda_context"] = f"unavailable: {e}"
try:
    bundle = json.load(open(".gpu-deps/bundle.json"))
    ctx["bundle"] = bundle
except Exception:
    pass
json.dump(ctx, open(sys.argv[1], "w"), indent=2)
PY
  log "gpu-validate: done in $((SECONDS - start)) s; files in $dest: $(cd "$dest" && ls | tr '\n' ' ')"
  # The end of the output is what a device runner shows: the validation table and the bench ratios.
  echo "---- validation table ----"
  sed -n '/^== table/,/^== table:/p' "$summary" | tail -40
  echo "---- bench kernels ----"
  tail -25 "$dest/bench-kernels.txt" 2>/dev/null || true
  echo "---- steps ----"
  for k in "${!step_s[@]}"; do echo "$k: ${step_s[$k]}"; done
}

case "$mode" in
  pack) pack ;;
  run) run ;;
  dry-run) dry_run ;;
esac
