#!/usr/bin/env bash
# The library's static TLS is charged to every thread of the host program,
# out of its stack: it must stay at most 1 KiB so that threads with small
# stacks still start (test_small_stack.sh runs one). On failure, the TLS
# symbols by size say what grew.
set -euo pipefail
limit=1024
memsiz=$(readelf -lW "$XT_PRELOAD_LIB" | awk '$1 == "TLS" { print $6 }')
size=$((${memsiz:-0}))
if [ "$size" -gt "$limit" ]; then
  echo "FAIL: static TLS is $size bytes, more than $limit:" >&2
  readelf -sW "$XT_PRELOAD_LIB" | awk '$4 == "TLS" { print "  " $3, $8 }' | sort -rn | head >&2
  exit 1
fi
echo "static TLS: $size bytes"
