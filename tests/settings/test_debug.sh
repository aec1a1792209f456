#!/usr/bin/env bash
# XTRACE_DEBUG=1 writes the library's diagnostics on stderr: the connection
# to the collector (the exit flush waits for it, so it is always made before
# the program ends). Without it, stderr is the program's own, byte for byte.
. "$(dirname "$0")/lib.sh"
st_start_server
XTRACE_DEBUG=1 traced "$XT_PROGS/exitcode" >"$PL_TMP/out" 2>"$PL_TMP/err.debug" && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "exitcode exited $rc under XTRACE_DEBUG=1"
grep -qx "xtrace\[[0-9]*\]: connected to $XTRACE_SERVER" "$PL_TMP/err.debug" ||
  fail "no connection diagnostic: $(cat "$PL_TMP/err.debug")"
grep -qx 'to stderr' "$PL_TMP/err.debug" || fail "the program's own line is missing: $(cat "$PL_TMP/err.debug")"

XTRACE_DEBUG=0 traced "$XT_PROGS/exitcode" >"$PL_TMP/out" 2>"$PL_TMP/err.quiet" && rc=0 || rc=$?
[ "$rc" = 3 ] || fail "exitcode exited $rc under XTRACE_DEBUG=0"
[ "$(cat "$PL_TMP/err.quiet")" = "to stderr" ] || fail "diagnostics without XTRACE_DEBUG: $(cat "$PL_TMP/err.quiet")"
# Both runs reached the collector: the quiet one was not quiet for want of one.
xt_wait_reports 6 || fail "the two runs' reports did not arrive"
