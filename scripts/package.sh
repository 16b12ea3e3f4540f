#!/usr/bin/env bash
# Builds the Debian packages jiffi and jiffi-dev (release build for the prefix /usr, in
# build-deb/) and prints where they are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${JIFFI_BUILD_DIR:-$root/build-deb}"
JIFFI_BUILD_DIR="$build" JIFFI_BUILD_TYPE=Release \
  JIFFI_CMAKE_ARGS="-DCMAKE_INSTALL_PREFIX=/usr -DJIFFI_BUILD_TESTS=OFF -DJIFFI_BUILD_BENCH=OFF ${JIFFI_CMAKE_ARGS:-}" \
  bash "$root/scripts/build.sh"
(cd "$build" && cpack -G DEB > cpack.log)
ls -1 "$build"/*.deb
