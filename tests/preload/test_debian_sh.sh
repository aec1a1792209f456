#!/usr/bin/env bash
# Unmodified Debian binaries: a dash pipeline with a background job, wait and
# an external command is one task across all its processes.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
cmd='echo a >&2 & echo b >&2; wait; /bin/echo c | /bin/cat >&2'
traced /bin/sh -c "$cmd" 2>"$PL_TMP/err"
[ "$(sort "$PL_TMP/err" | tr -d '\n')" = abc ] || fail "output: $(cat "$PL_TMP/err")"
# The shell, its background job and the two sides of the pipe each report
# their exit last: once all four have, every event of the run is stored.
task=$(wait_task_titled "/bin/sh -c $cmd" \
  "($(all_exited 4)) and (map(.Label) as \$have | all(\"a\", \"b\", \"c\"; . as \$l | \$have | index([\$l])))")
[ "$(task_count)" = 1 ] || fail "expected one task: $(xt_tasks_json)"
r=$(reports "$task")
# Every event but the root has its parents inside the task.
jq -e '[.[].EventID] as $ids | [.[] | .ParentEventID[]] | all(. as $p | $ids | index($p))' \
  <<<"$r" >/dev/null || fail "an event points outside the task: $r"
