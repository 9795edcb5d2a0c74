#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what is missing, builds the CLI, and runs the demo — an
# embedded Cloudflare API emulator seeded with 300,000 keys, deleted by prefix with the progress bar.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/install-deps.sh" core
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target cache-kv-purger
exec "$build/native/cache-kv-purger" demo "$@"
