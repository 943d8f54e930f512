#!/usr/bin/env bash
# The main job: install, build, and run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/src/cli/switchsim describe model switch-base-128
./build/src/cli/switchsim describe hardware dgx-h100-8
