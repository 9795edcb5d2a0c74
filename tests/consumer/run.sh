#!/usr/bin/env bash
# Installs ckp from the build tree $1 into a scratch prefix, copies the consumer project out of the source tree, and
# builds and runs it against the installed package.
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"${CMAKE:-cmake}" --install "$build_dir" --prefix "$scratch/prefix" >/dev/null
cp "$here/CMakeLists.txt" "$here/main.cpp" "$scratch/"
"${CMAKE:-cmake}" -S "$scratch" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" \
  -DCMAKE_CXX_COMPILER="${CXX:-c++}" >/dev/null
"${CMAKE:-cmake}" --build "$scratch/build" >/dev/null
"$scratch/build/consumer"
