#!/usr/bin/env bash
# XTRACE_DISABLE=1: the hooks pass straight through. The programs behave as
# without the library (waits checks its results and errno itself) and
# nothing reaches the collector but what a later, traced run sends.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_DISABLE=1 traced "$XT_PROGS/waits" 2>"$PL_TMP/err" || fail "waits: $(cat "$PL_TMP/err")"
XTRACE_DISABLE=1 traced "$XT_PROGS/cpool" 3 2 2 5 run 2>"$PL_TMP/err2" || fail "cpool failed"
"$XT_PROGS/cpool" 3 2 2 5 run 2>"$PL_TMP/err3"
[ "$(sort "$PL_TMP/err2")" = "$(sort "$PL_TMP/err3")" ] || fail "output differs from a run without the library"
traced "$XT_PROGS/cpool" 1 1 1 5 run 2>/dev/null
t=$(wait_task_titled "cpool 1 1 1 5 run" '[.[] | select(.Label | startswith("exit "))] | length == 1')
[ "$(task_count)" = 1 ] || fail "disabled runs reported: $(xt_tasks_json)"
