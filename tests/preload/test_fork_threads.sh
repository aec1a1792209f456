#!/usr/bin/env bash
# A multithreaded program that forks while its threads log: no deadlock, and
# every child reports through its own rebuilt reporter.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/forkmt" 2>/dev/null || fail "forkmt failed"
xt_wait_reports 20
t=$(task_titled "$XT_PROGS/forkmt")
wait_reports_match "$t" '[.[] | select(.Label | test("^child [0-9]+ done$"))] | length == 20' \
  || fail "expected 20 child lines, got $(reports "$t" | jq '[.[] | select(.Label | test("^child"))] | length')"
r=$(reports "$t")
jq -e '[.[].ProcessID] | unique | length == 21' <<<"$r" >/dev/null || fail "not 21 processes"
