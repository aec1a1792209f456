#!/usr/bin/env bash
# scripts/xtrace-run preloads the library, sets the collector and extra
# variables, and the command is traced.
. "$(dirname "$0")/lib.sh"
pl_start_server
run=$XT_TOP/scripts/xtrace-run
"$run" --help | grep -q -- '--server' || fail "--help"
rc=0
out=$(LD_PRELOAD=${XT_SAN_RUNTIME:-} "$run" --lib "$XT_PRELOAD_LIB" --server "$XTRACE_SERVER" \
  XTRACE_LOG_PREFIX=1 XTRACE_LOG_STREAMS=stderr,stdout -- "$XT_PROGS/exitcode" 2>"$PL_TMP/err") || rc=$?
[ "$rc" = 3 ] || fail "exit status $rc, the program's is 3; stderr: $(cat "$PL_TMP/err")"
[[ "$out" =~ ^\[xtrace\ [0-9a-f]{16}\ [0-9]+\]\ to\ stdout$ ]] || fail "output: $out"
[[ "$(cat "$PL_TMP/err")" =~ ^\[xtrace\ [0-9a-f]{16}\ [0-9]+\]\ to\ stderr$ ]] ||
  fail "stderr: $(cat "$PL_TMP/err")"
xt_wait_reports 4
task_titled "$XT_PROGS/exitcode" >/dev/null
