#!/usr/bin/env bash
# Sets up a fresh machine, builds jiffi from nothing and runs the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
build="${JIFFI_BUILD_DIR:-$root/build}"
ctest --test-dir "$build" --output-on-failure -j 2 "$@"
