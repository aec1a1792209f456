#!/usr/bin/env bash
# XTRACE_PRELOAD_LIB: scripts/xtrace-run preloads that library, not the one
# it would find in this tree's build directories. A copy of the library in
# a directory of its own must be the one the traced command has mapped, and
# its events must arrive.
. "$(dirname "$0")/lib.sh"
if [ "${XT_SANITIZE:-}" = thread ]; then
  # xtrace-run appends the library after the TSan runtime (see
  # tests/preload/CMakeLists.txt, xtrace_run).
  echo "SKIP: not under TSan" >&2
  exit 77
fi
st_start_server
mkdir "$PL_TMP/chosen"
cp "$XT_PRELOAD_LIB" "$PL_TMP/chosen/libxtrace-preload.so"
chosen=$(readlink -f "$PL_TMP/chosen/libxtrace-preload.so")
XTRACE_PRELOAD_LIB=$chosen LD_PRELOAD=${XT_SAN_RUNTIME:-} "$XT_TOP/scripts/xtrace-run" --server "$XTRACE_SERVER" -- \
  sh -c 'grep -o "/[^ ]*libxtrace-preload[^ ]*" /proc/self/maps | sort -u; echo chosen >&2' \
  >"$PL_TMP/out" 2>"$PL_TMP/err" || fail "xtrace-run failed: $(cat "$PL_TMP/err")"
[ "$(cat "$PL_TMP/out")" = "$chosen" ] || fail "the command mapped '$(cat "$PL_TMP/out")', not $chosen"
must_match "$(wait_task_titled "sh -c grep -o \"/[^ ]*libxtrace-preload[^ ]*\" /proc/self/maps | sort -u; echo chosen >&2")" \
  'any(.[]; .Label == "chosen") and any(.[]; .Label == "exit 0")' "the command's events did not arrive"
