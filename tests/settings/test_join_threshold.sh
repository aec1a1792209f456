#!/usr/bin/env bash
# XTRACE_JOIN_THRESHOLD=2: when tree's main joins its third thread its
# parent set (three thread events) passes the threshold, so a join event
# (agent xtrace) collapses it and "all joined" follows that one event. At the
# default of 10 "all joined" has the three thread events as parents
# (preload.thread_tree).
. "$(dirname "$0")/lib.sh"
st_start_server
XTRACE_JOIN_THRESHOLD=2 traced "$XT_PROGS/tree" 2>"$PL_TMP/err" || fail "tree failed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_PROGS/tree")
must_match "$t" 'any(.[]; .Label == "exit 0")' "no exit event"
r=$(reports "$t")
jq -e '([.[] | select(.Label | test("^thread [0-2] working$")) | .EventID] | sort) as $kids
  | [.[] | select(.Label == "join" and .Agent == "xtrace")]
  | length == 1 and (.[0].ParentEventID | sort) == $kids' <<<"$r" >/dev/null ||
  fail "no single join event over the three thread events: $(jq -c . <<<"$r")"
jq -e '(.[] | select(.Label == "join") | .EventID) as $j
  | [.[] | select(.Label == "all joined")] | length == 1 and .[0].ParentEventID == [$j]' <<<"$r" >/dev/null ||
  fail "\"all joined\" does not follow the join event: $(jq -c . <<<"$r")"
