#!/usr/bin/env bash
# 8 threads call a probed function 50 times each: every call gets its entry
# and its return on its own thread, the return right after the entry, and
# the program's results are unchanged.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_PROBES='plug_mul(long, long)->long' traced "$XT_PR_PROGS/threads8" 50 2>"$PL_TMP/err" ||
  fail "threads8 failed: $(cat "$PL_TMP/err")"
grep -qx 'threads done, 0 wrong' "$PL_TMP/err" || fail "results changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "threads8 50" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '[.[] | select(.Agent == "probe")] | length == 800' <<<"$r" >/dev/null ||
  fail "expected 800 probe events, got $(jq '[.[] | select(.Agent == "probe")] | length' <<<"$r")"
jq -e '[.[] | select(.Agent == "probe")] | group_by(.ThreadID) | length == 8 and all(
  length == 100 and ([range(0; 100; 2)] as $i | . as $p | all($i[]; ($p[.].Label | test("^→ plug_mul\\([1-8], [0-9]+\\)$"))
    and ($p[.+1].ParentEventID == [$p[.].EventID])
    and ($p[.+1].return | tonumber) == (($p[.].Label | capture("\\((?<a>[0-9]+), (?<b>[0-9]+)\\)") | (.a | tonumber) * (.b | tonumber))))))' \
  <<<"$r" >/dev/null || fail "per-thread pairs: $(jq -c '[.[] | select(.Agent == "probe") | {ThreadID, Label, return}][:20]' <<<"$r")"
