#!/usr/bin/env bash
# Builds everything and runs every test. Works on a fresh Debian 12 machine: installs what is missing first.
# Usage: scripts/test.sh            (build dir: build/, override with BUILD_DIR=...)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" all
cmake -S "$root" -B "$build" -DCKP_WERROR=ON ${CKP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
ctest --test-dir "$build" --output-on-failure -j"${JOBS:-2}"
