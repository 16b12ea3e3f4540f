#!/usr/bin/env bash
# Sets up a fresh machine, builds jiffi and runs the demo, ending in the benchmark summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup.sh"
JIFFI_BUILD_TYPE=Release bash "$root/scripts/build.sh"
build="${JIFFI_BUILD_DIR:-$root/build}"
"$build/tools/jiffi-demo"
"$build/bench/jiffi-bench" --summary
"$build/bench/jiffi-bench-foreign" --summary
