#!/usr/bin/env bash
# Two requests (tasks A and B, arriving as calls with X-Trace metadata) that
# only share a lock: B's acquisition takes A's release, and must draw no
# edge from A into B. Both tasks hold exactly their own request's events.
. "$(dirname "$0")/lib.sh"
pl_start_server
A=1111111111 B=2222222222
XTRACE_EXCLUDE_LIBS='libgrpc*' traced "$XT_PROGS/lockserver" $A 11 $B 22 2>"$PL_TMP/err" \
  || fail "lockserver: $(cat "$PL_TMP/err")"
hex() { printf '%016x' "$1"; }
ra=$(wait_reports_of "$(hex $A)" 'any(.[]; .Label | startswith("request A holds"))')
rb=$(wait_reports_of "$(hex $B)" 'any(.[]; .Label | startswith("request B holds"))')
jq -e 'all(.[]; .Label | test("request B") | not)' <<<"$ra" >/dev/null || fail "task A: $ra"
jq -e 'all(.[]; .Label | test("request A") | not)' <<<"$rb" >/dev/null || fail "task B: $rb"
# B's events have parents only among B's events and the call's own event.
jq -e --argjson a "$ra" '([$a[].EventID]) as $ea | all(.[]; all(.ParentEventID[]; . as $p | $ea | index($p) | not))' \
  <<<"$rb" >/dev/null || fail "an edge from request A into request B: A $ra B $rb"
