#!/usr/bin/env bash
# Retention through the flags: --retain-days deletes the tasks whose last
# report is older, whole, and keeps the recent one; --max-db-bytes deletes
# the least recently active tasks once the database passes it.
# usage: retain_test.sh PUBLISHER DBCHECK   (XT_SERVER_BIN in the environment)
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1 check=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
wait_deleted() { # at least N, within 60 s
  for _ in $(seq 1 600); do [ "$(xt_stats_json | jq .tasks_deleted)" -ge "$1" ] && return 0; sleep 0.1; done
  fail "tasks_deleted did not reach $1: $(xt_stats_json)"
}

# The scenario's three tasks are from 2023; bench's task of 100 is from now.
xt_server_start --retain-days 1
"$pub" "$XTRACE_SERVER" scenario
"$pub" "$XTRACE_SERVER" bench 100
xt_wait_reports 107
wait_deleted 3
tasks=$(xt_tasks_json)
[ "$(jq length <<<"$tasks")" = 1 ] && [ "$(jq '.[0].reports' <<<"$tasks")" = 100 ] || fail "kept: $tasks"
[ "$(xt_stats_json | jq .tasks_deleted)" = 3 ] || fail "the recent task was deleted"
xt_server_stop || fail "SIGTERM: non-zero exit"
read -r integrity rows ntasks reports < <("$check" "$XT_DATA_DIR")
[ "$integrity" = ok ] && [ "$rows" = 100 ] && [ "$ntasks" = 1 ] && [ "$reports" = 100 ] ||
  fail "database after retention: $integrity $rows $ntasks $reports"

unset XT_DATA_DIR
xt_server_start --max-db-bytes 256K
"$pub" "$XTRACE_SERVER" bench 20000
xt_wait_reports 20000
wait_deleted 1
xt_server_stop || fail "SIGTERM: non-zero exit"
read -r integrity rows ntasks reports < <("$check" "$XT_DATA_DIR")
[ "$integrity" = ok ] && [ "$rows" = "$reports" ] && [ "$ntasks" -lt 200 ] ||
  fail "database after trimming: $integrity $rows $ntasks $reports"
echo PASS
