#!/usr/bin/env bash
# system(), popen() and posix_spawnp() children join the task; the caller's
# environ is unchanged (the program checks) and exit statuses pass through.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
traced "$XT_PROGS/spawner" 2>"$PL_TMP/err" || fail "spawner exited $?"
grep -q from-system "$PL_TMP/err" && grep -q "popen said from-popen" "$PL_TMP/err" \
  && grep -q from-spawn "$PL_TMP/err" || fail "children output: $(cat "$PL_TMP/err")"
# Complete once the program and its three children have each reported their
# exit: then a child that had started a task of its own would show too.
task=$(wait_task_titled "$XT_PROGS/spawner" \
  "($(all_exited 4)) and (map(.Label) as \$have | all(\"from-system\", \"from-popen\", \"from-spawn\"; . as \$l | \$have | index([\$l])))")
[ "$(task_count)" = 1 ] || fail "expected one task: $(xt_tasks_json)"
jq -e '[.[] | select(.Label | startswith("exit ")) | .Label] | sort == ["exit 0", "exit 0", "exit 4", "exit 5"]' \
  <<<"$(reports "$task")" >/dev/null || fail "exit statuses: $(reports "$task")"
