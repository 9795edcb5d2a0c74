#!/usr/bin/env bash
# Regenerates the generated documentation: docs/commands.md from the CLI's own command definitions, and (when
# Doxygen is installed) the API reference in BUILD_DIR/docs/api/html.
# Usage: scripts/gen-docs.sh [BUILD_DIR]      (default: build; configured with cmake if it is not yet)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
[[ -f $build/CMakeCache.txt ]] || cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target cache-kv-purger -j"${JOBS:-2}"
# The same fixed environment as the docs_commands_up_to_date test: no config file or variables leak in.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
env -i HOME="$scratch" PATH=/usr/bin:/bin "$build/native/cache-kv-purger" tree --markdown --flags >"$root/docs/commands.md"
echo "wrote docs/commands.md"
if [[ -f $build/docs/Doxyfile ]]; then  # configured only when Doxygen was found
  cmake --build "$build" --target docs
  echo "API reference: $build/docs/api/html/index.html"
fi
