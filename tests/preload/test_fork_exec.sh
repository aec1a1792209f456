#!/usr/bin/env bash
# fork + exec: the exec'd child continues the parent's task, so one task spans
# both processes, and the child's start event follows the exec event.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/forkexec" 2>"$PL_TMP/err"
grep -q "hello from the exec'd child" "$PL_TMP/err" || fail "child did not run"
xt_wait_reports 9
[ "$(task_count)" = 1 ] || fail "expected one task: $(xt_tasks_json)"
r=$(reports "$(task_titled "$XT_PROGS/forkexec")")
jq -e '[.[].ProcessID] | unique | length == 2' <<<"$r" >/dev/null || fail "not two processes: $r"
jq -e '(.[] | select(.Tag | index("exec")) | .EventID) as $e
  | [.[] | select(.Tag | index("start"))] | length == 1 and .[0].ParentEventID == [$e]
    and (.[0].Label | endswith("forkexec child"))' <<<"$r" >/dev/null \
  || fail "child start event does not follow the exec event: $r"
jq -e '(.[] | select(.Label == "hello from the exec'"'"'d child") | .ProcessID) as $c
  | [.[] | select(.Label | startswith("fork child"))] | length == 1 and (.[0].Label == "fork child \($c)")' \
  <<<"$r" >/dev/null || fail "parent fork event does not name the child: $r"
