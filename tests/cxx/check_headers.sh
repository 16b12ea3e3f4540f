#!/usr/bin/env bash
# Every public C++ header compiles alone as C++17, and its preprocessed output stays under
# LIMIT lines (docs/design.md "The C++ API": declarations and thin templates only).
# Usage: check_headers.sh CXX INCLUDE_DIR LIMIT [PENDING...]
# PENDING names headers still over the limit; each must still be over it, so the list can
# only shrink as they are converted.
set -uo pipefail
cxx="$1" include="$2" limit="$3"
shift 3
pending=" $* "
status=0
for path in "$include"/jiffi/*.hpp; do
  header="jiffi/$(basename "$path")"
  if ! echo "#include \"$header\"" | "$cxx" -std=c++17 -I"$include" -fsyntax-only -x c++ - ; then
    echo "FAIL: $header does not compile alone as C++17"
    status=1
    continue
  fi
  lines=$(echo "#include \"$header\"" | "$cxx" -std=c++17 -I"$include" -E -x c++ - | wc -l)
  name=$(basename "$path")
  if [[ "$pending" == *" $name "* ]]; then
    if [ "$lines" -lt "$limit" ]; then
      echo "FAIL: $header is now $lines lines, under $limit: take it off the pending list"
      status=1
    else
      echo "pending: $header $lines lines (limit $limit)"
    fi
  elif [ "$lines" -ge "$limit" ]; then
    echo "FAIL: $header preprocesses to $lines lines, the limit is $limit"
    status=1
  else
    echo "ok: $header $lines lines"
  fi
done
exit $status
