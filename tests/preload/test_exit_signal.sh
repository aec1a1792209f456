#!/usr/bin/env bash
# _exit from a SIGTERM handler in forked workers: each must exit at once. The
# exit path may not lock, allocate, start a thread or wait without bound. A
# hang is caught by the timeouts below, well inside ctest's.
. "$(dirname "$0")/lib.sh"
pl_start_server
set +e
# Deterministic: killed while malloc_stats() holds the main arena's lock,
# with the thread cache off so that any allocation needs that lock, and the
# thread hooks off so that the worker's first event is its exit. Plain build
# only: ASan replaces the allocator, so there is no arena lock to hold.
if [ -z "${XT_SANITIZE:-}" ]; then
  GLIBC_TUNABLES=glibc.malloc.tcache_count=0 XTRACE_THREADS=0 \
    timeout 60 env LD_PRELOAD="$PL_PRELOAD" "$XT_PROGS/sigexit" 20 held >"$PL_TMP/out" 2>"$PL_TMP/err"
  rc=$?
  [ "$rc" = 0 ] || fail "sigexit held exited $rc (124: hung): $(cat "$PL_TMP/err")"
fi
# The field case: workers looping on malloc/free, killed 1,000 times (200
# under ASan, where a fork costs some 100 ms of shadow memory).
n=1000
[ -n "${XT_SANITIZE:-}" ] && n=200
timeout 90 env LD_PRELOAD="$PL_PRELOAD" "$XT_PROGS/sigexit" $n churn >"$PL_TMP/out" 2>"$PL_TMP/err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "sigexit churn exited $rc (124: hung): $(cat "$PL_TMP/err")"
[ "$(cat "$PL_TMP/out")" = "$n workers" ] || fail "unexpected output: $(cat "$PL_TMP/out")"
# The parent's events still arrive: its fork events and its exit.
xt_wait_reports $n
t=$(task_titled "$XT_PROGS/sigexit $n")
wait_reports_match "$t" '(map(select(.Tag | index("main"))) | .[0].ProcessID) as $p
  | ([.[] | select(.Label | startswith("fork child"))] | length == '$n')
    and ([.[] | select(.Label == "exit 0" and .ProcessID == $p)] | length == 1)' \
  || fail "parent's events missing: $(reports "$t" | jq length) reports"
