#!/usr/bin/env bash
# A probe on write, which the program calls and the preload also hooks (a
# line on fd 2 is an event): the program's call is recorded once, and the
# hook, reached from the probe, records its line inside the call. The
# library's own writes (the XTRACE_DEBUG diagnostics here) go through its
# own lookups, never through a patched entry, and show as nothing.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_DEBUG=1 XTRACE_PROBES='write(int, ptr, size_t)->ssize_t' traced "$XT_PR_PROGS/writer" 2>"$PL_TMP/err" ||
  fail "writer failed: $(cat "$PL_TMP/err")"
grep -qx 'hello' "$PL_TMP/err" || fail "output changed: $(cat "$PL_TMP/err")"
grep -q 'probe write installed' "$PL_TMP/err" || fail "no diagnostics written: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "writer" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '[.[] | select(.Agent == "probe" or .Label == "hello")] as $e |
  ($e | map(.Label | sub(" \\([0-9]+ µs\\)$"; "") | sub("0x[0-9a-f]+"; "P"))) == ["→ write(2, P, 6)", "hello", "← write = 6"]
  and $e[1].ParentEventID == [$e[0].EventID] and $e[2].ParentEventID == [$e[1].EventID]' <<<"$r" >/dev/null ||
  fail "events: $(jq -c '[.[] | {Agent, Label, ThreadName, EventID, ParentEventID}]' <<<"$r")"
