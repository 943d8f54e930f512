#!/usr/bin/env bash
# The main job: install, build, then a demo sweep of Switch-Base expert counts x capacity
# factors x routing skew on one DGX H100 and on a 1,024-GPU H100 fat-tree, the host validate
# (predicted vs measured Switch layer), and the report.
# Output: runs/demo/ (results.json, results.csv, validate-host.json, report.md, report.html, plot-*.svg).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
S=./build/src/cli/switchsim
OUT=${1:-runs/demo}
mkdir -p "$OUT"
$S sweep --model switch-base-128 --cluster dgx-h100-8,h100-fat-tree-1024 \
  --experts 8,16,32,64,128,256 --capacity-factor 0.5,1.0,1.25,2.0 --routing uniform,zipf:1.1 \
  --batch-tokens 524288 --out "$OUT"
# The host validate: the simulator's layer model on this repository's calibrated host profile
# against the CPU reference's committed measurements (re-measure with `switchsim validate
# --target cpu`, which calibrates this machine first).
$S validate --measured traces/measured/host-vm-validate.json --profile hardware/host-vm.json --json \
  --out "$OUT/validate-host.json"
$S report "$OUT" --measured "$OUT/validate-host.json" \
  --title "Switch-Base on DGX H100 and a 1,024-GPU H100 fat-tree, and the host validate"
echo "open $OUT/report.html"
