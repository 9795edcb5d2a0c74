#!/usr/bin/env bash
# Every public header compiles on its own (includes what it uses): one translation unit per header.
# Usage: tests/headers/check.sh [CXX]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cxx=${1:-${CXX:-c++}}
httplib_flags=$(pkg-config --cflags cpp-httplib 2>/dev/null || true)
failed=0
check() {
  local header=$1
  local flags=(-std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$root/include")
  [[ $header == ckp/transport/httplib.hpp ]] && flags+=($httplib_flags)
  if ! echo "#include \"$header\"" | "$cxx" "${flags[@]}" -x c++ - 2>/tmp/ckp-header-$$.log; then
    echo "not self-contained: $header"
    head -5 /tmp/ckp-header-$$.log
    return 1
  fi
}
export -f check
export root cxx httplib_flags
cd "$root/include"
headers=$(find ckp -name '*.hpp' ! -name fetch.hpp | sort)   # fetch.hpp needs emscripten
echo "$headers" | xargs -P 2 -I{} bash -c 'check {}' || failed=1
rm -f /tmp/ckp-header-*.log
[[ $failed == 0 ]] && echo "all $(echo "$headers" | wc -l) headers compile on their own"
exit $failed
