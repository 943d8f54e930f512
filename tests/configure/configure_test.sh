#!/usr/bin/env bash
# Configures the project as a user's machine would, and checks that CMake succeeds:
#   stock-cmake  Debian's unpatched CMake modules (FindCUDAToolkit.cmake from the cmake-data
#                package, fetched with apt-get download) first on CMAKE_MODULE_PATH. With
#                CUDA 13 that module fails (CUDA::nvToolsExt); the build must fall back to
#                CPU-only with one status line saying why.
#   no-cuda      /usr/local/cuda hidden (a private mount namespace with an empty directory
#                bound over it, and no CUDA on PATH); without the privileges for that, nvcc
#                is pointed at a path that does not exist. The build must be CPU-only.
# Usage: configure_test.sh MODE SOURCE_DIR WORK_DIR. Exit 77 (ctest: skipped) with a message
# when the stock modules cannot be downloaded.
set -uo pipefail
mode=$1 src=$2 work=$3
mkdir -p "$work"
build="$work/build-$mode"
rm -rf "$build"
log="$work/configure-$mode.log"
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)

check_log() {  # the configure succeeded; now its status lines must say what happened to CUDA
  if ! grep -q "switchsim: CUDA reference \(ON\|OFF\)" "$log"; then
    echo "FAIL: no 'switchsim: CUDA reference' status line in $log"; return 1
  fi
  if grep -q "switchsim: CUDA reference OFF" "$log" && [ -e /usr/local/cuda/bin/nvcc ] && [ "$mode" = stock-cmake ] &&
     ! grep -q "switchsim: building CPU-only: " "$log"; then
    echo "FAIL: CUDA is off but no status line says why"; return 1
  fi
  grep "switchsim:" "$log"
}

case "$mode" in
  stock-cmake)
    stock="$work/cmake-data"
    modules=$(ls -d "$stock"/x/usr/share/cmake-*/Modules 2> /dev/null | head -1)
    if [ -z "$modules" ]; then
      rm -rf "$stock" && mkdir -p "$stock"
      if ! (cd "$stock" && apt-get download cmake-data > download.log 2>&1 && dpkg-deb -x cmake-data_*.deb x); then
        echo "SKIP: cannot download Debian's cmake-data package (apt-get download cmake-data: no network or no apt?)"
        tail -3 "$stock/download.log" 2> /dev/null
        exit 77
      fi
      modules=$(ls -d "$stock"/x/usr/share/cmake-*/Modules | head -1)
    fi
    [ -f "$modules/FindCUDAToolkit.cmake" ] || { echo "FAIL: no FindCUDAToolkit.cmake in $modules"; exit 1; }
    echo "stock modules: $modules"
    if ! PATH=/usr/local/cuda/bin:$PATH cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_MODULE_PATH="$modules" > "$log" 2>&1; then
      echo "FAIL: configure with Debian's stock CMake modules failed:"; tail -20 "$log"; exit 1
    fi
    check_log || exit 1
    ;;
  no-cuda)
    clean_path=$(echo "$PATH" | tr ':' '\n' | grep -v cuda | paste -sd:)
    empty="$work/empty"
    mkdir -p "$empty"
    if [ -d /usr/local/cuda ] && unshare -m true 2> /dev/null; then
      echo "hiding /usr/local/cuda in a private mount namespace"
      unshare -m bash -c "mount --bind '$empty' /usr/local/cuda && [ ! -e /usr/local/cuda/bin/nvcc ] &&
        PATH='$clean_path' cmake -S '$src' -B '$build' ${gen[*]} > '$log' 2>&1"
      rc=$?
    else
      echo "cannot hide /usr/local/cuda (no unshare -m here): pointing nvcc at a missing path instead"
      PATH=$clean_path cmake -S "$src" -B "$build" "${gen[@]}" -DCMAKE_CUDA_COMPILER=/nonexistent/bin/nvcc > "$log" 2>&1
      rc=$?
    fi
    if [ "$rc" != 0 ]; then echo "FAIL: configure without CUDA failed:"; tail -20 "$log"; exit 1; fi
    check_log || exit 1
    grep -q "switchsim: CUDA reference OFF" "$log" || { echo "FAIL: CUDA reference is not OFF without CUDA"; exit 1; }
    ;;
  *) echo "usage: $0 stock-cmake|no-cuda SOURCE_DIR WORK_DIR"; exit 2 ;;
esac
rm -rf "$build"
echo "PASS: $mode configures"
