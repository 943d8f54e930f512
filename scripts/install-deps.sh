#!/usr/bin/env bash
# Installs switchsim's build and run dependencies from Debian packages (root, no sudo needed).
# Does nothing when everything is already installed, so it is cheap to call every time.
set -euo pipefail
packages=(cmake ninja-build g++ libboost-graph-dev libfmt-dev libcli11-dev nlohmann-json3-dev catch2
          libopenmpi-dev openmpi-bin libopenblas-dev gnuplot-nox
          # chromium: only the test that opens report.html headlessly needs it (it skips,
          # saying so, when /usr/bin/chromium is absent); large, but installed once.
          chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
