#!/usr/bin/env bash
# system(), popen() and posix_spawnp() children join the task; the caller's
# environ is unchanged (the program checks) and exit statuses pass through.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
traced "$XT_PROGS/spawner" 2>"$PL_TMP/err" || fail "spawner exited $?"
grep -q from-system "$PL_TMP/err" && grep -q "popen said from-popen" "$PL_TMP/err" \
  && grep -q from-spawn "$PL_TMP/err" || fail "children output: $(cat "$PL_TMP/err")"
xt_wait_reports 10
[ "$(task_count)" = 1 ] || fail "expected one task: $(xt_tasks_json)"
r=$(reports "$(task_titled "$XT_PROGS/spawner")")
for l in from-system from-popen from-spawn; do
  jq -e --arg l "$l" 'any(.Label == $l)' <<<"$r" >/dev/null || fail "no event for $l"
done
