#!/usr/bin/env bash
# XTRACE_THREADS=0: threads start with no context, so their lines are not
# events, and pthread_join merges nothing. tree's main thread logs
# "all joined" after joining its three threads and then exits: once its exit
# event is stored, every line its threads logged before would be too
# (setting.threads would see six reports, as preload.thread_tree does).
. "$(dirname "$0")/lib.sh"
st_start_server
XTRACE_THREADS=0 traced "$XT_PROGS/tree" 2>"$PL_TMP/err" || fail "tree failed: $(cat "$PL_TMP/err")"
[ "$(grep -c '^thread [0-2] working$' "$PL_TMP/err")" = 3 ] || fail "the threads' own output changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_PROGS/tree")
must_match "$t" 'any(.[]; .Label == "exit 0")' "no exit event"
r=$(reports "$t")
jq -e 'map(.Label) == ["'"$XT_PROGS/tree"'", "all joined", "exit 0"]' <<<"$r" >/dev/null ||
  fail "expected only main's three events: $(jq -c 'map(.Label)' <<<"$r")"
jq -e '(.[0].EventID) as $s | .[1].ParentEventID == [$s]' <<<"$r" >/dev/null ||
  fail "\"all joined\" joined something: $(jq -c . <<<"$r")"
[ "$(task_count)" = 1 ] || fail "thread lines started tasks of their own: $(xt_tasks_json | jq -c '[.[].title]')"
