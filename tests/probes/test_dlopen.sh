#!/usr/bin/env bash
# A probe on a function of a library that only arrives with a dlopen after
# start-up (plug.so, and plugdep.so as its dependency): at start it is
# reported as not found yet, then the dlopen finds it and patches the new
# object's GOT. The line logged inside the call descends from the entry
# event and the return event follows it.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_PROBES='plug_helper(int)->int' traced "$XT_PR_PROGS/dlo" "$XT_PR_PROGS/libplug.so" \
  2>"$PL_TMP/err" || fail "dlo failed: $(cat "$PL_TMP/err")"
grep -qx 'plug_run = 15' "$PL_TMP/err" || fail "result changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "dlo $XT_PR_PROGS/libplug.so" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '.[0].probe_errors | contains("plug_helper") and contains("not found")' <<<"$r" >/dev/null ||
  fail "start event does not say plug_helper was missing: $(jq -c '.[0]' <<<"$r")"
jq -e '[.[] | select(.Label | test("^(before dlopen|→ plug_helper\\(7\\)|helper 7|← plug_helper = 14 \\(|plug_run = 15)"))] as $e |
  ($e | length) == 5 and $e[2].ParentEventID == [$e[1].EventID] and $e[3].ParentEventID == [$e[2].EventID]
  and ($e[1].Label == "→ plug_helper(7)") and ($e[3].return == "14")' <<<"$r" >/dev/null ||
  fail "events around the call: $(jq -c '[.[] | {Label, EventID, ParentEventID}]' <<<"$r")"
