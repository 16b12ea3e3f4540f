#!/usr/bin/env bash
# Builds jiffi's libFuzzer targets (clang-19, ASan+UBSan) in build-fuzz/ and runs each one for a bounded time.
#
# Usage: bash scripts/fuzz.sh [SECONDS]   (SECONDS per target, default 30)
# Environment:
#   JIFFI_FUZZ_BUILD_DIR  build directory (default build-fuzz/ in the repository)
#   JIFFI_FUZZ_TARGETS    space-separated target names to run (e.g. "fuzz_cdef fuzz_ld_cache"); default all
#   JIFFI_FUZZ_CORPUS_DIR a directory outside the repository whose <target>/ folders keep the grown
#                         corpus between runs (seeded from tests/fuzz/corpus/ the first time); by
#                         default each run works on a temporary copy of the seeds, thrown away after
#   JIFFI_FUZZ_JOBS       build parallelism (default 2)
# Fails on the first crash, leak, timeout, out-of-memory or sanitizer report, naming the target and
# the input that caused it (kept under <build>/fuzz-artifacts/<target>/).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-30}"
case "$seconds" in
  ''|*[!0-9]*|0) echo "fuzz.sh: SECONDS must be a positive whole number, not '$seconds'" >&2; exit 2 ;;
esac
build="${JIFFI_FUZZ_BUILD_DIR:-$root/build-fuzz}"
keep="${JIFFI_FUZZ_CORPUS_DIR:-}"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  keep="$(cd "$keep" && pwd)"
  case "$keep/" in
    "$root"/*) echo "fuzz.sh: JIFFI_FUZZ_CORPUS_DIR must be outside the repository ($keep)" >&2; exit 2 ;;
  esac
fi

for tool in clang-19 clang++-19; do
  command -v "$tool" >/dev/null || { echo "fuzz.sh: $tool not found (scripts/setup.sh installs it)" >&2; exit 2; }
done

if [ ! -f "$build/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  CC=clang-19 CXX=clang++-19 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DJIFFI_FUZZ=ON -DJIFFI_BUILD_TESTS=OFF -DJIFFI_BUILD_BENCH=OFF "${launcher[@]}"
fi
cmake --build "$build" --target jiffi_fuzzers -j "${JIFFI_FUZZ_JOBS:-2}"

manifest="$build/fuzzers.txt"
[ -s "$manifest" ] || { echo "fuzz.sh: no fuzz targets listed in $manifest" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/jiffi-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

ran=0
while read -r exe corpus dict; do
  name="$(basename "$exe")"
  if [ -n "${JIFFI_FUZZ_TARGETS:-}" ] && [[ " $JIFFI_FUZZ_TARGETS " != *" $name "* ]]; then
    continue
  fi
  stem="${name#fuzz_}"
  if [ -n "$keep" ]; then
    dir="$keep/$name"
  else
    dir="$work/$name/corpus"
  fi
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    if [ "$corpus" != "-" ]; then cp -R "$corpus"/. "$dir"/; fi
  fi
  artifacts="$build/fuzz-artifacts/$name"
  rm -rf "$artifacts"
  mkdir -p "$artifacts" "$work/$name"
  log="$work/$name/log"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  if [ "$dict" != "-" ]; then args+=(-dict="$dict"); fi
  echo "fuzz.sh: $name for ${seconds}s over $(find "$dir" -type f | wc -l) inputs"
  start=$(date +%s)
  if ! "$exe" "${args[@]}" "$dir" </dev/null >"$log" 2>&1; then
    echo "fuzz.sh: FAILED: $name" >&2
    grep -E "ERROR: |SUMMARY: |runtime error: |ALARM: |out-of-memory|deadly signal" "$log" | head -n 20 >&2 || true
    for input in "$artifacts"/*; do
      [ -e "$input" ] && echo "fuzz.sh: $name: failing input: $input" >&2
    done
    cp "$log" "$artifacts/log"
    echo "fuzz.sh: $name: full log: $artifacts/log (reproduce: $exe <input>)" >&2
    exit 1
  fi
  stats="$(grep -E "^stat::(number_of_executed_units|new_units_added)" "$log" | awk '{print $2}' | paste -sd' ')"
  echo "fuzz.sh: $name ok in $(( $(date +%s) - start ))s (executions, new units: $stats)"
  rmdir "$artifacts" 2>/dev/null || true
  ran=$((ran + 1))
done <"$manifest"

if [ "$ran" -eq 0 ]; then
  echo "fuzz.sh: no target matched JIFFI_FUZZ_TARGETS='${JIFFI_FUZZ_TARGETS:-}'" >&2
  exit 1
fi
echo "fuzz.sh: $ran targets ran ${seconds}s each without a finding"
