#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time from the committed seed
# corpus (in a scratch copy, so the repository is not modified), after replaying every regression input.
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]      (default: FUZZ_SECONDS, else 10 s)
# FUZZ_SEED fixes libFuzzer's seed (default 1) so that a CI run explores the same inputs every time and a red run
# can be reproduced; FUZZ_SEED=0 picks a random seed, for exploratory runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-${FUZZ_SECONDS:-10}}
seed=${FUZZ_SEED:-1}
out=${2:-$root/build/fuzz}
mkdir -p "$out"
CXX=${FUZZ_CXX:-clang++}
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -DFMT_HEADER_ONLY
       -I"$root/include")
status=0
for src in "$here"/fuzz_*.cpp; do
  name=$(basename "$src" .cpp)
  target=${name#fuzz_}
  if [[ ! -x $out/$name || $src -nt $out/$name || -n $(find "$root/include" -newer "$out/$name" -name '*.hpp' | head -1) ]]; then
    echo "fuzz: building $name"
    "$CXX" "${flags[@]}" "$src" -o "$out/$name"
  fi
  # Regressions first: inputs that once crashed must now pass.
  if [[ -d $here/regressions/$target ]] && compgen -G "$here/regressions/$target/*" >/dev/null; then
    "$out/$name" -runs=0 "$here/regressions/$target"/* >/dev/null 2>&1 || { echo "fuzz: $name regression failed"; status=1; }
  fi
  work=$(mktemp -d)
  cp "$here/corpus/$target"/* "$work/" 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s (seed $seed)"
  if ! "$out/$name" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -artifact_prefix="$out/$name-" "$work" > "$out/$name.log" 2>&1; then
    echo "fuzz: $name FOUND A CRASH (artifact in $out, log $out/$name.log):"
    tail -30 "$out/$name.log"
    status=1
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$out/$name.log" | tail -1 || true
  fi
  rm -rf "$work"
done
exit $status
