#!/usr/bin/env bash
# Checks or fixes the formatting of the C++ sources (clang-format 14 with .clang-format) and of the browser console's
# JavaScript (prettier with .prettierrc.json). CI runs `scripts/format.sh --check` first.
# Usage: scripts/format.sh [--check | --diff | --fix] [--cpp-only] [FILE...]
#   --check     (the default) list the files that are not formatted; exit 1 if there are any
#   --diff      the same, and show what would change
#   --fix       format them in place
#   --cpp-only  leave the JavaScript alone (no npm needed)
#   FILE...     only these files (default: every C++ and console JavaScript file in the repository, new ones included)
# Environment: CLANG_FORMAT (default clang-format-14, else clang-format; it must be version 14: other versions format
# some constructs differently), PRETTIER (default: prettier $PRETTIER_VERSION, installed once by npm into
# ${XDG_CACHE_HOME:-~/.cache}/cache-kv-purger/), CI (when set, a missing formatter is an error, not a skip).
# Install the tools with scripts/install-deps.sh format.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

PRETTIER_VERSION=3.10.1  # pinned: another version may format differently
mode=check
cpp_only=0
files=()
for arg in "$@"; do
  case $arg in
    --check | --diff | --fix) mode=${arg#--} ;;
    --cpp-only) cpp_only=1 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "format: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done

missing_tool() {  # a formatter is not available: an error under CI, else a warning and a skip
  if [[ -n ${CI:-} ]]; then echo "format: $1" >&2; exit 2; fi
  echo "format: skipping $2: $1" >&2
}

# --- which files --------------------------------------------------------------------------------------------------
cpp_files=()
js_files=()
is_cpp() { [[ $1 == *.cpp || $1 == *.hpp || $1 == *.h || $1 == *.cc ]]; }
is_js() { [[ ($1 == web/*.js || $1 == tests/web/*.js || $1 == tests/web/*.mjs) && $1 != */node_modules/* ]]; }
if [[ ${#files[@]} -eq 0 ]]; then
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and new (not ignored) files, so that a file not yet added is checked too; deleted ones are skipped.
    mapfile -t files < <(git ls-files --cached --others --exclude-standard | sort -u)
  else
    mapfile -t files < <(find include native wasm tests benchmarks docs web -path '*/node_modules' -prune -o -type f \
                           -print | sort)
  fi
fi
for f in "${files[@]}"; do
  [[ -f $f ]] || continue
  if is_cpp "$f"; then cpp_files+=("$f"); elif is_js "$f"; then js_files+=("$f"); fi
done

unformatted=()
checked_cpp=0
checked_js=0

# --- C++: clang-format 14 -----------------------------------------------------------------------------------------
clang_format=${CLANG_FORMAT:-}
if [[ -z $clang_format ]]; then
  clang_format=$(command -v clang-format-14 || command -v clang-format || true)
fi
if [[ ${#cpp_files[@]} -gt 0 ]]; then
  if [[ -z $clang_format ]]; then
    missing_tool "clang-format not found (scripts/install-deps.sh format)" "C++"
  else
    version=$("$clang_format" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
    if [[ $version != 14 ]]; then
      echo "format: $clang_format is version ${version:-?}; .clang-format is tuned for clang-format 14 (Debian 12)," \
           "and other versions format some constructs differently. Set CLANG_FORMAT to a clang-format 14." >&2
      exit 2
    fi
    checked_cpp=${#cpp_files[@]}
    if [[ $mode == fix ]]; then
      printf '%s\0' "${cpp_files[@]}" | xargs -0 -n 16 -P 2 "$clang_format" -i --style=file
    else
      # Each file whose formatted text differs from what is on disk.
      export clang_format
      mapfile -t bad < <(printf '%s\0' "${cpp_files[@]}" | xargs -0 -n 1 -P 2 bash -c \
        '"$clang_format" --style=file "$1" | cmp -s - "$1" || echo "$1"' _ | sort)
      unformatted+=("${bad[@]}")
      if [[ $mode == diff ]]; then
        for f in "${bad[@]}"; do
          "$clang_format" --style=file "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - || true
        done
      fi
    fi
  fi
fi

# --- JavaScript: prettier (pinned, from npm) ----------------------------------------------------------------------
if [[ ${#js_files[@]} -gt 0 && $cpp_only == 0 ]]; then
  prettier=${PRETTIER:-}
  if [[ -z $prettier ]]; then
    tools=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/cache-kv-purger/prettier-$PRETTIER_VERSION
    prettier=$tools/node_modules/.bin/prettier
    if [[ ! -x $prettier ]] && command -v npm >/dev/null && command -v node >/dev/null; then
      echo "format: installing prettier $PRETTIER_VERSION into $tools" >&2
      mkdir -p "$tools"
      npm install --no-audit --no-fund --no-save --silent --prefix "$tools" "prettier@$PRETTIER_VERSION" >&2
    fi
  fi
  if [[ ! -x $prettier ]] && ! command -v "$prettier" >/dev/null; then
    missing_tool "prettier needs node and npm (scripts/install-deps.sh format), or PRETTIER=path" "JavaScript"
  elif [[ $mode == fix ]]; then
    checked_js=${#js_files[@]}
    "$prettier" --log-level warn --write "${js_files[@]}"
  else
    checked_js=${#js_files[@]}
    # Exit status 1: some files differ; 2: prettier failed (e.g. a syntax error), which must not pass as formatted.
    status=0
    listed=$("$prettier" --list-different "${js_files[@]}") || status=$?
    if [[ $status -gt 1 ]]; then echo "format: prettier failed (exit status $status)" >&2; exit 2; fi
    mapfile -t bad < <([[ -n $listed ]] && printf '%s\n' "$listed")
    unformatted+=("${bad[@]}")
    if [[ $mode == diff ]]; then
      for f in "${bad[@]}"; do "$prettier" "$f" | diff -u --label "$f" --label "$f (formatted)" "$f" - || true; done
    fi
  fi
fi

# --- report -------------------------------------------------------------------------------------------------------
[[ $mode == fix ]] && exit 0
if [[ ${#unformatted[@]} -gt 0 ]]; then
  printf '%s\n' "${unformatted[@]}"
  echo "format: ${#unformatted[@]} file(s) not formatted; scripts/format.sh --fix formats them (--diff shows how)" >&2
  exit 1
fi
echo "format: $checked_cpp C++ and $checked_js JavaScript files checked: all formatted"
