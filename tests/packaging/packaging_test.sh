#!/usr/bin/env bash
# Installs the build into a temporary prefix, hides the build tree (a tmpfs over it, in a
# mount namespace of this test alone), then builds and runs programs of someone else's
# against the installed jiffi: C and C++ through find_package, C through pkg-config, one
# linked statically, and one that builds jiffi from its sources with add_subdirectory.
# Usage: packaging_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
source_dir="$(cd "$2" && pwd)"
work="${build}-packaging"   # beside the build tree, not in it
prefix="$work/prefix"

if [ "${JIFFI_PACKAGING_HIDDEN:-}" = "" ]; then
  rm -rf "$work"
  mkdir -p "$work"
  cmake --install "$build" --prefix "$prefix" > "$work/install.log"
  cmake -DLIB="$(readlink -f "$prefix"/lib*/libjiffi.so)" -DHEADER="$prefix/include/jiffi/jiffi.h" -DNM=nm \
        -P "$source_dir/tests/capi/exports.cmake"
  # Nothing installed may name the build tree: no text file (CMake package, jiffi.pc) and no
  # rpath (debug information naming the sources' places is no dependency).
  if grep -rlIF "$build" "$prefix" > "$work/mentions.txt"; then
    echo "installed files name the build tree:"; cat "$work/mentions.txt"; exit 1
  fi
  while IFS= read -r -d '' f; do
    if readelf -d "$f" 2> /dev/null | grep -E "R(UN)?PATH" | grep -qF "$build"; then
      echo "$f has an rpath into the build tree"; exit 1
    fi
  done < <(find "$prefix" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0)
  if [ "$(id -u)" = 0 ]; then hide=(unshare --mount); else hide=(unshare --mount --map-root-user); fi
  mkdir -p "$work/probe"
  if "${hide[@]}" mount -t tmpfs tmpfs "$work/probe" 2> /dev/null; then
    exec "${hide[@]}" env JIFFI_PACKAGING_HIDDEN=1 bash -c \
      'mount -t tmpfs tmpfs "$1" && exec bash "$0" "$1" "$2"' "$0" "$build" "$source_dir"
  fi
  # Where no mount namespace (or no mount in it) may be made, the check above is what shows the build tree unused.
  echo "packaging: no mount namespace here (unshare refused); the build tree stays visible"
  export JIFFI_PACKAGING_HIDDEN=0
fi
if [ "$JIFFI_PACKAGING_HIDDEN" = 1 ]; then
  # From here on the build tree is an empty directory.
  [ -z "$(ls -A "$build")" ] || { echo "the build tree is still visible"; exit 1; }
fi
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
unset JIFFI_JIT_LIB JIFFI_DISCOVER_LIB

echo "== find_package"
cmake -S "$source_dir/tests/packaging/consumer" -B "$work/package" -G Ninja -DJIFFI_CONSUME=package \
      -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" > "$work/package.log"
cmake --build "$work/package" >> "$work/package.log"
"$work/package/c_shared"
"$work/package/cxx_shared"
# A static program finds the plugins beside itself, in the prefix it was configured for, or
# where JIFFI_JIT_LIB says (docs/install.md): this prefix is none of the first two.
JIFFI_JIT_LIB="$(ls "$prefix"/lib*/jiffi/libjiffi-jit.so)" "$work/package/c_static"

echo "== pkg-config"
export PKG_CONFIG_PATH="$(dirname "$(ls "$prefix"/lib*/pkgconfig/jiffi.pc)")"
libdir="$(pkg-config --variable=libdir jiffi)"
cc "$source_dir/tests/packaging/consumer/main.c" -o "$work/pc_shared" $(pkg-config --cflags --libs jiffi) \
   -Wl,-rpath,"$libdir"
"$work/pc_shared"

echo "== add_subdirectory"
cmake -S "$source_dir/tests/packaging/consumer" -B "$work/subdirectory" -G Ninja -DJIFFI_CONSUME=subdirectory \
      -DJIFFI_SOURCE="$source_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" > "$work/subdirectory.log"
cmake --build "$work/subdirectory" --target c_sub >> "$work/subdirectory.log"
"$work/subdirectory/c_sub"
echo "packaging: all consumers ran"
