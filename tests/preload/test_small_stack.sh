#!/usr/bin/env bash
# Threads on minimal stacks start under the preload as without it: one with
# PTHREAD_STACK_MIN (glibc refuses it with EINVAL when the libraries' static
# TLS does not fit), one with 64 KiB that logs. The logging thread's event
# branches from main's and is joined back.
. "$(dirname "$0")/lib.sh"
pl_start_server
"$XT_PROGS/smallstack" >"$PL_TMP/plain.out" 2>/dev/null || fail "fails even without the preload"
rc=0
traced "$XT_PROGS/smallstack" >"$PL_TMP/traced.out" 2>"$PL_TMP/err" || rc=$?
[ "$rc" = 0 ] || fail "exit $rc under the preload: $(cat "$PL_TMP/traced.out" "$PL_TMP/err")"
cmp -s "$PL_TMP/plain.out" "$PL_TMP/traced.out" ||
  fail "output differs: $(cat "$PL_TMP/traced.out")"
xt_wait_reports 5
t=$(task_titled "$XT_PROGS/smallstack")
r=$(reports "$t")
jq -e '(.[] | select(.Label == "starting") | .EventID) as $s
  | [.[] | select(.Label == "small stack thread logging")]
  | length == 1 and .[0].ParentEventID == [$s]' <<<"$r" >/dev/null ||
  fail "the thread's event does not branch from main's: $r"
jq -e '(.[] | select(.Label == "small stack thread logging") | .EventID) as $e
  | [.[] | select(.Label == "all joined")] | length == 1 and .[0].ParentEventID == [$e]' \
  <<<"$r" >/dev/null || fail "the join does not follow the thread's event: $r"
