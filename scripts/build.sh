#!/usr/bin/env bash
# Configures and builds jiffi with Ninja into ${JIFFI_BUILD_DIR:-build}. The build type
# (JIFFI_BUILD_TYPE, default RelWithDebInfo) and JIFFI_CMAKE_ARGS are applied on every run,
# so an existing build directory takes what is asked for now.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JIFFI_BUILD_DIR:-$root/build}"
type="${JIFFI_BUILD_TYPE:-RelWithDebInfo}"
mkdir -p "$build"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" ${JIFFI_CMAKE_ARGS:-} > "$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "${JIFFI_JOBS:-2}"
