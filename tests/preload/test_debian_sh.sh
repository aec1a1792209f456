#!/usr/bin/env bash
# Unmodified Debian binaries: a dash pipeline with a background job, wait and
# an external command is one task across all its processes.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
traced /bin/sh -c 'echo a >&2 & echo b >&2; wait; /bin/echo c | /bin/cat >&2' 2>"$PL_TMP/err"
[ "$(sort "$PL_TMP/err" | tr -d '\n')" = abc ] || fail "output: $(cat "$PL_TMP/err")"
xt_wait_reports 8
[ "$(task_count)" = 1 ] || fail "expected one task: $(xt_tasks_json)"
r=$(reports "$(task_titled "/bin/sh -c")")
jq -e '[.[].ProcessID] | unique | length >= 3' <<<"$r" >/dev/null || fail "too few processes: $r"
for l in a b c; do
  jq -e --arg l "$l" 'any(.Label == $l)' <<<"$r" >/dev/null || fail "no event for line $l"
done
# Every event but the root has its parents inside the task.
jq -e '[.[].EventID] as $ids | [.[] | .ParentEventID[]] | all(. as $p | $ids | index($p))' \
  <<<"$r" >/dev/null || fail "an event points outside the task: $r"
