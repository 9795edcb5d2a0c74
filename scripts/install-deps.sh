#!/usr/bin/env bash
# Installs the Debian packages this project needs that are not installed yet (uses sudo when not root).
# Usage: scripts/install-deps.sh [core|format|wasm|web|fuzz|docs|all]...   (default: all)
set -euo pipefail

declare -A groups=(
  [core]="g++ cmake make pkg-config ccache nlohmann-json3-dev libfmt-dev doctest-dev libcpp-httplib-dev libcli11-dev libtomlplusplus-dev libssl-dev zlib1g-dev libbrotli-dev ca-certificates openssl python3 python3-jsonschema"
  [format]="clang-format nodejs npm"  # scripts/format.sh: clang-format 14 for C++, prettier (from npm) for JavaScript
  [fuzz]="clang libclang-rt-14-dev"  # also CI's clang build
  [wasm]="emscripten node-acorn nodejs"
  [web]="chromium npm"
  [docs]="doxygen"
)
# Present when their command is, whatever installed it (NodeSource's nodejs package ships npm inside it).
declare -A commands=([nodejs]=node [npm]=npm)

wanted=()
for group in "${@:-all}"; do
  if [[ $group == all ]]; then
    for g in "${!groups[@]}"; do wanted+=(${groups[$g]}); done
  elif [[ -n ${groups[$group]:-} ]]; then
    wanted+=(${groups[$group]})
  else
    echo "install-deps: unknown group '$group' (known: ${!groups[*]} all)" >&2
    exit 2
  fi
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
  [[ -n ${commands[$pkg]:-} ]] && command -v "${commands[$pkg]}" >/dev/null && continue
  missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
