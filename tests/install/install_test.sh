#!/usr/bin/env bash
# Installs the built project into a temporary prefix and runs the installed binary from
# elsewhere, without SWITCHSIM_DATA_DIR: it must find models/ and hardware/ under
# PREFIX/share/switchsim (proved with a model that exists only there). Then, when cpack is
# there, builds the .deb and checks that it holds the binary and the data.
# Usage: install_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in bin/switchsim share/switchsim/models/switch-base-8.json share/switchsim/hardware/dgx-h100-8.json; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $prefix/$f not installed"; exit 1; }
done
# A model only the installed tree has: found by name only if the binary reads PREFIX/share/switchsim.
sed 's/"name": *"switch-base-8"/"name": "only-installed"/' "$prefix/share/switchsim/models/switch-base-8.json" \
  > "$prefix/share/switchsim/models/only-installed.json"
cd "$work"
unset SWITCHSIM_DATA_DIR
"$prefix/bin/switchsim" list models | grep -q only-installed || { echo "FAIL: installed models not listed"; exit 1; }
"$prefix/bin/switchsim" simulate --model only-installed --cluster dgx-h100-8 --batch-tokens 8192 --network closed-form \
  > simulate.txt || { echo "FAIL: installed binary cannot simulate"; cat simulate.txt; exit 1; }
grep -q "step" simulate.txt || { echo "FAIL: no step time printed"; cat simulate.txt; exit 1; }
echo "PASS: installed binary reads $prefix/share/switchsim"

if ! command -v cpack > /dev/null; then echo "no cpack: .deb not checked"; exit 0; fi
(cd "$build" && cpack -G DEB -B "$work/deb" > "$work/cpack.log" 2>&1) || { echo "FAIL: cpack -G DEB"; tail -20 "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/deb/switchsim_*.deb | head -1)
[ -n "$deb" ] || { echo "FAIL: no .deb built"; exit 1; }
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/switchsim ./usr/share/switchsim/models/switch-base-8.json ./usr/share/switchsim/hardware/dgx-h100-8.json; do
  grep -q " $f\$" <<< "$contents" || { echo "FAIL: $f not in $deb"; exit 1; }
done
dpkg-deb -f "$deb" Package Version Depends
echo "PASS: $(basename "$deb") holds the binary and the data"
