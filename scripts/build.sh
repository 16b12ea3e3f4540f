#!/usr/bin/env bash
# Configures and builds jiffi with Ninja into ${JIFFI_BUILD_DIR:-build}.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JIFFI_BUILD_DIR:-$root/build}"
type="${JIFFI_BUILD_TYPE:-RelWithDebInfo}"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" ${JIFFI_CMAKE_ARGS:-}
fi
cmake --build "$build" -j "${JIFFI_JOBS:-2}"
