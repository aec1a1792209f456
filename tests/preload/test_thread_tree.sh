#!/usr/bin/env bash
# main starts three threads that each log, joins them and logs: the task is
# exactly start -> 3 thread lines (branch) -> "all joined" (join) -> exit.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/tree" 2>"$PL_TMP/err"
xt_wait_reports 6
t=$(task_titled "$XT_PROGS/tree")
r=$(reports "$t")
[ "$(jq length <<<"$r")" = 6 ] || fail "expected 6 reports: $r"
start=$(jq -r '.[] | select(.Tag | index("main")) | .EventID' <<<"$r")
[ -n "$start" ] || fail "no main event"
jq -e --arg s "$start" '[.[] | select(.Label | test("^thread [0-2] working$"))]
  | length == 3 and all(.ParentEventID == [$s]) and (map(.ThreadID) | unique | length == 3)' \
  <<<"$r" >/dev/null || fail "thread events do not branch from the main event: $r"
jq -e '([.[] | select(.Label | test("^thread")) | .EventID] | sort) as $kids
  | [.[] | select(.Label == "all joined")] | length == 1 and (.[0].ParentEventID | sort) == $kids' \
  <<<"$r" >/dev/null || fail "join node does not have exactly the three thread events as parents: $r"
jq -e '(.[] | select(.Label == "all joined") | .EventID) as $j
  | [.[] | select(.Label == "exit 0")] | length == 1 and .[0].ParentEventID == [$j]' \
  <<<"$r" >/dev/null || fail "exit event does not follow the join: $r"
jq -e 'all(.Agent != "" and .Source != "")' <<<"$r" >/dev/null || fail "agent/source missing"
# Under a sanitizer runtime its fprintf interceptor is the caller of ours.
src='tree\+0x'
[ -n "${XT_SAN_RUNTIME:-}" ] && src='(tree|libasan|libtsan)'
jq -e --arg src "$src" '[.[] | select(.Label | test("^thread"))] | all(.Agent == "stderr" and (.Source | test($src)))' \
  <<<"$r" >/dev/null || fail "thread line agent/source wrong: $r"
