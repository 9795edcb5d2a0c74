#!/usr/bin/env bash
# Builds everything and runs every test. Works on a fresh Debian 12 machine: installs what is missing first.
# Usage: scripts/test.sh
#   BUILD_DIR=...        build directory (default build/)
#   CKP_CMAKE_ARGS=...   extra CMake arguments (e.g. -DCKP_SANITIZE=ON)
#   CTEST_ARGS=...       extra ctest arguments (e.g. -E web_)
#   FUZZ_SECONDS=N       seconds per fuzz target (default 10)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" all
cmake -S "$root" -B "$build" -DCKP_WERROR=ON ${CKP_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
ctest --test-dir "$build" --output-on-failure -j"${JOBS:-2}" ${CTEST_ARGS:-}
