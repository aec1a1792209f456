#!/usr/bin/env bash
# XTRACE_DISABLE=1: nothing reaches the collector, output unchanged.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
"$XT_PROGS/tree" 2>"$PL_TMP/err0"
XTRACE_DISABLE=1 traced "$XT_PROGS/tree" 2>"$PL_TMP/err1"
[ "$(sort "$PL_TMP/err0")" = "$(sort "$PL_TMP/err1")" ] || fail "output differs"
traced "$XT_PROGS/exitcode" >/dev/null 2>&1 || true # a traced run proves the collector works
xt_wait_reports 4
[ "$(task_count)" = 1 ] || fail "the disabled run reported: $(xt_tasks_json)"
