#!/usr/bin/env bash
# Fails when docs/commands.md differs from what the CLI says about itself.
# Usage: check_commands.sh CACHE_KV_PURGER DOCS_COMMANDS_MD
set -euo pipefail
binary=$1 doc=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
generated=$scratch/commands.md
# A fixed environment: the tree must not depend on the caller's config file or variables.
env -i HOME="$scratch" PATH=/usr/bin:/bin "$binary" tree --markdown --flags >"$generated"
if ! diff -u "$doc" "$generated"; then
  echo >&2
  echo "docs/commands.md is out of date with the CLI (diff above: - the file, + the CLI)." >&2
  echo "Regenerate it with: scripts/gen-docs.sh [BUILD_DIR]" >&2
  echo "  (which runs: BUILD_DIR/native/cache-kv-purger tree --markdown --flags > docs/commands.md)" >&2
  exit 1
fi
