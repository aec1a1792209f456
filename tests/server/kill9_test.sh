#!/usr/bin/env bash
# kill -9 in the middle of ingest: the database passes integrity_check, holds
# at least every report the server had reported as stored, its summaries agree
# with its rows, and a restarted server serves it.
# usage: kill9_test.sh PUBLISHER DBCHECK
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
check=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

XT_DATA_DIR=$(mktemp -d)/data
xt__tmpdirs+=("$(dirname "$XT_DATA_DIR")")
xt_server_start
# Publishers with more to send than any machine ingests in the test's time:
# they are still sending when the server is killed, however fast it is.
pids=()
for _ in 1 2 3 4; do "$pub" "$XTRACE_SERVER" bench 1000000000 >/dev/null 2>&1 & pids+=($!); done
xt_wait_reports 50000 60
seen=$(xt_stats_json | jq .stored)
for p in "${pids[@]}"; do
  kill -0 "$p" 2>/dev/null || fail "a publisher had stopped before the kill; nothing was tested"
done
xt_server_kill9
# They may fail on the dead connection or still be writing into its buffer:
# their status says nothing about the server.
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done

read -r integrity rows tasks sum < <("$check" "$XT_DATA_DIR") || fail "integrity_check: $integrity"
[ "$integrity" = ok ] || fail "integrity_check: $integrity"
[ "$rows" -ge "$seen" ] || fail "lost committed reports: $rows rows, $seen reported stored"
[ "$sum" = "$rows" ] || fail "task summaries count $sum reports, table holds $rows"

xt_server_start
n=$(xt_tasks_json 'limit=1000' | jq length)
[ "$n" -gt 0 ] || fail "no tasks after restart"
"$pub" "$XTRACE_SERVER" one 1 "after crash"
xt_wait_reports 1
xt_server_stop || fail "SIGTERM after crash recovery"
echo "PASS ($rows rows kept, $seen were reported stored at the kill)"
