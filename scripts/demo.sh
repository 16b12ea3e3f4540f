#!/usr/bin/env bash
# Sets up a fresh machine, builds jiffi and runs the demo, ending in the benchmark summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
# The benchmarks want an optimized build, in a directory of its own (the tests' build in
# build/ keeps its type).
build="${JIFFI_BUILD_DIR:-$root/build-release}"
JIFFI_BUILD_DIR="$build" JIFFI_BUILD_TYPE="${JIFFI_BUILD_TYPE:-Release}" bash "$root/scripts/build.sh"
# The benchmarks that link the runtime statically find the plugins through these variables
# (a program on libjiffi.so finds them beside it).
export JIFFI_JIT_LIB="${JIFFI_JIT_LIB:-$build/libjiffi-jit.so}"
export JIFFI_DISCOVER_LIB="${JIFFI_DISCOVER_LIB:-$build/libjiffi-discover.so}"
"$build/tools/jiffi-demo"
"$build/bench/jiffi-bench" --summary
"$build/bench/jiffi-bench-foreign" --summary
"$build/bench/jiffi-bench-startup"
