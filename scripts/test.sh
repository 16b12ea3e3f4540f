#!/usr/bin/env bash
# Sets up a fresh machine, builds jiffi from nothing, runs the whole test suite, then each fuzzer for a bounded time.
# JIFFI_FUZZ_SECONDS sets the seconds per fuzzer (default 30; 0 skips the fuzz step).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
build="${JIFFI_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
fuzz_seconds="${JIFFI_FUZZ_SECONDS:-30}"
if [ "$fuzz_seconds" != "0" ]; then
  bash "$root/scripts/fuzz.sh" "$fuzz_seconds"
fi
