#!/usr/bin/env bash
# Installs the Debian packages jiffi needs that are missing; a no-op when all are present.
set -euo pipefail
packages=(
  cmake ninja-build g++ gcc make pkg-config gcc-aarch64-linux-gnu
  llvm-19-dev libclang-19-dev libclang-cpp19-dev clang-19 libclang-rt-19-dev clang-14
  libffi-dev doctest-dev libbenchmark-dev
  libsqlite3-dev libssl-dev zlib1g-dev linux-libc-dev
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
