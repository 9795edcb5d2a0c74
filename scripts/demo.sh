#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what is missing, builds, and runs the demo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" core
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
# Until the CLI lands, the demo is the API model's own test suite.
"$build/tests/unit_api"
