#!/usr/bin/env bash
# The library exports exactly the functions exports.map lists (the gRPC
# patterns aside, which only match what preload/grpc*.c* defines).
set -euo pipefail
map=$XT_TOP/preload/exports.map
want=$(sed -e 's#/\*.*\*/##' -e '/\/\*/,/\*\//d' "$map" | tr ' ;{}' '\n\n\n\n' \
  | grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -vE '^(global|local)$' | sort -u)
got=$(nm -D --defined-only "$XT_PRELOAD_LIB" | awk '{print $3}' | sed 's/@.*//' \
  | grep -vE '^(grpc_|_ZN9grpc_core6Server)' | sort -u)
if [ "$want" != "$got" ]; then
  diff <(echo "$want") <(echo "$got") >&2 || true
  echo "FAIL: exported symbols differ from exports.map" >&2
  exit 1
fi
