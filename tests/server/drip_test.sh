#!/usr/bin/env bash
# A publisher that sends one large frame a few bytes at a time costs the
# server no more than one that sends it at once: partial frames are not
# copied again on every read (copied_bytes in /api/stats counts what is), and
# a frame that keeps arriving is not taken for a stalled one.
# usage: drip_test.sh PUBLISHER   (XT_SERVER_BIN in the environment)
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
copied() { xt_stats_json | jq .copied_bytes; }
size=300000 # a frame larger than one read of the server

# The drip lasts several times --stall-ms (some 1,200 writes, 3 ms apart),
# each gap far shorter.
xt_server_start --stall-ms 1000

before=$(copied)
"$pub" "$XTRACE_SERVER" drip a1 $size 0 0
xt_wait_reports 1
normal=$(($(copied) - before))

before=$(copied)
"$pub" "$XTRACE_SERVER" drip a2 $size 256 3
xt_wait_reports 2 60
drip=$(($(copied) - before))

stats=$(xt_stats_json)
echo "copied bytes: one write $normal, drip $drip; server CPU $(ps -o cputime= -p "$XT_SERVER_PID")"
[ "$(jq .rejected.stalled <<<"$stats")" = 0 ] || fail "a frame still arriving was dropped as stalled: $stats"
[ "$(jq .buffered_bytes <<<"$stats")" = 0 ] || fail "memory of the finished frame kept: $stats"
[ "$normal" -gt 0 ] || fail "a frame larger than one read was not carried over between reads"
[ "$drip" -le $((2 * normal)) ] || fail "drip copied $drip bytes, more than twice the $normal of one write"
for t in a1 a2; do
  [ "$(xt_task_reports_json $t | jq '.[0].reports[0].Label | length')" = $size ] || fail "task $t: label not whole"
done
xt_server_stop || fail "SIGTERM: non-zero exit"
echo PASS
