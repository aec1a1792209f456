#!/usr/bin/env bash
# Tasks survive a clean restart, and reports that arrive afterwards extend
# the same task summaries.   usage: restart_test.sh PUBLISHER
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }

XT_DATA_DIR=$(mktemp -d)/data
xt__tmpdirs+=("$(dirname "$XT_DATA_DIR")")
xt_server_start
"$pub" "$XTRACE_SERVER" scenario
xt_wait_reports 7
tasks_before=$(xt_tasks_json)
reports_before=$(xt_task_reports_json 1234abcd5678ef01,2,3)
xt_server_stop || fail "SIGTERM: non-zero exit"

xt_server_start
[ "$(xt_tasks_json)" = "$tasks_before" ] || fail "task list changed across restart"
[ "$(xt_task_reports_json 1234abcd5678ef01,2,3)" = "$reports_before" ] || fail "reports changed across restart"
[ "$(xt_stats_json | jq .stored)" = 0 ] || fail "stats are per run"

"$pub" "$XTRACE_SERVER" one 1234abcd5678ef01 "after restart"
xt_wait_reports 1
t=$(xt_tasks_json | jq -c '.[] | select(.id == "1234abcd5678ef01") | {title, reports, processes, first}')
[ "$t" = '{"title":"request start","reports":6,"processes":3,"first":1700000000000000}' ] || fail "summary after restart: $t"
xt_server_stop || fail "second SIGTERM: non-zero exit"
echo PASS
