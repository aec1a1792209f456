#!/usr/bin/env bash
# write(2) from a signal handler, interrupting stdio logging: the program
# finishes (ctest's timeout catches a deadlock) with its output intact.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/sighandler" >"$PL_TMP/out" 2>"$PL_TMP/err"
[ "$(cat "$PL_TMP/out")" = "done 1" ] || fail "unexpected stdout: $(cat "$PL_TMP/out")"
[ "$(grep -c '^main line' "$PL_TMP/err")" -ge 20000 ] || fail "main lines missing"
grep -qvE '^(main line [0-9]+|tick from handler)$' "$PL_TMP/err" && fail "garbled stderr line"
true
