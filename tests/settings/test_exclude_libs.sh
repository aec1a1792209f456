#!/usr/bin/env bash
# XTRACE_EXCLUDE_LIBS: threads whose start routine lives in a library the
# patterns name start with no context, so their lines are not events.
# twostarts starts one thread from its own code and one from libxtstart's.
# By default (libgrpc*) both threads' lines are in the task; with
# "libnothing*:libxtstart*" (a list, colon-separated) only the program's.
. "$(dirname "$0")/lib.sh"
st_start_server
prog=$XT_SET_PROGS/twostarts

traced "$prog" 2>"$PL_TMP/err1" || fail "twostarts failed: $(cat "$PL_TMP/err1")"
t=$(wait_task_titled "$prog")
must_match "$t" 'any(.[]; .Label == "exit 0")' "no exit event"
reports "$t" | jq -e 'any(.[]; .Label == "library thread") and any(.[]; .Label == "program thread")' >/dev/null ||
  fail "by default both threads' lines are events: $(reports "$t" | jq -c 'map(.Label)')"
xt_tasks_json "limit=1000" | jq -e 'length == 1' >/dev/null || fail "more than one task"

XTRACE_EXCLUDE_LIBS='libnothing*:libxtstart*' traced "$prog" 2>"$PL_TMP/err2" ||
  fail "twostarts failed: $(cat "$PL_TMP/err2")"
grep -qx 'library thread' "$PL_TMP/err2" || fail "the library thread's own output changed"
ST_SEEN+=("$t")
t2=$(wait_new_task_titled "$prog")
must_match "$t2" 'any(.[]; .Label == "exit 0")' "no exit event in the second run"
r=$(reports "$t2")
jq -e 'map(.Label) | index(["program thread"]) != null and index(["library thread"]) == null' <<<"$r" >/dev/null ||
  fail "with libxtstart excluded its thread's line is still an event: $(jq -c 'map(.Label)' <<<"$r")"
