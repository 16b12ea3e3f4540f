#!/usr/bin/env bash
# One public header compiled alone, with every compiler given, as each standard given, with
# warnings as errors. Usage: compile_header.sh INCLUDE_DIR HEADER LANG STD1,STD2 CC...
set -uo pipefail
include="$1" header="$2" lang="$3" stds="$4"
shift 4
status=0
for cc in "$@"; do
  for std in ${stds//,/ }; do
    if echo "#include \"jiffi/$header\"" |
        "$cc" -std="$std" -Wall -Wextra -pedantic -Werror -I"$include" -fsyntax-only -x "$lang" -; then
      echo "ok: $header with $(basename "$cc") -std=$std"
    else
      echo "FAIL: $header with $(basename "$cc") -std=$std"
      status=1
    fi
  done
done
exit $status
