#!/usr/bin/env bash
# With no collector listening the output and the exit status are unchanged.
. "$(dirname "$0")/lib.sh"
. "$XT_TOP/tests/lib/port.sh"
p=$XT_PROGS/exitcode
rc0=0
"$p" >"$PL_TMP/out0" 2>"$PL_TMP/err0" || rc0=$?
xt_closed_port || fail "no port"
rc1=0
XTRACE_SERVER=127.0.0.1:$CLOSED_PORT traced "$p" >"$PL_TMP/out1" 2>"$PL_TMP/err1" || rc1=$?
[ "$rc0" = 3 ] && [ "$rc1" = 3 ] || fail "exit status $rc0 / $rc1"
cmp "$PL_TMP/out0" "$PL_TMP/out1" || fail "stdout differs"
cmp "$PL_TMP/err0" "$PL_TMP/err1" || fail "stderr differs"
