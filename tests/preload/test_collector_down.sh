#!/usr/bin/env bash
# With no collector listening the output and the exit status are unchanged.
. "$(dirname "$0")/lib.sh"
p=$XT_PROGS/exitcode
set +e
"$p" >"$PL_TMP/out0" 2>"$PL_TMP/err0"; rc0=$?
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
XTRACE_SERVER=127.0.0.1:$port traced "$p" >"$PL_TMP/out1" 2>"$PL_TMP/err1"; rc1=$?
set -e
[ "$rc0" = 3 ] && [ "$rc1" = 3 ] || fail "exit status $rc0 / $rc1"
cmp "$PL_TMP/out0" "$PL_TMP/out1" || fail "stdout differs"
cmp "$PL_TMP/err0" "$PL_TMP/err1" || fail "stderr differs"
