#!/usr/bin/env bash
# Hooks reached from another library's constructor, before the preload's own
# constructor has run, still work: the line is printed unchanged and becomes
# an event of the process's task, ahead of main's.
. "$(dirname "$0")/lib.sh"
pl_start_server
out=$(traced "$XT_PROGS/early" 2>&1)
[ "$out" = $'constructor line 1\nmain line' ] || fail "output changed: $out"
xt_wait_reports 4
r=$(reports "$(task_titled "$XT_PROGS/early")")
labels=$(jq -c '[.[] | select(.Agent == "stderr") | .Label]' <<<"$r")
[ "$labels" = '["constructor line 1","main line"]' ] || fail "got $labels"
# One chain: main's line follows the constructor's.
jq -e '(map(select(.Label == "constructor line 1"))[0].EventID) as $c
       | map(select(.Label == "main line"))[0].ParentEventID == [$c]' <<<"$r" >/dev/null ||
  fail "main line does not follow the constructor's: $r"
