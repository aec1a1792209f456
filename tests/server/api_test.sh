#!/usr/bin/env bash
# Starts the real server on port 0, publishes the fixed scenario from three
# processes and checks the exact JSON of the API.
# usage: api_test.sh PUBLISHER   (XT_SERVER_BIN in the environment)
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
same_json() { # name, actual, expected
  if [ "$(jq -S . <<<"$2")" != "$(jq -S . <<<"$3")" ]; then
    echo "actual:   $2" >&2
    echo "expected: $3" >&2
    fail "$1"
  fi
}

xt_server_start
# The live stream, opened before anything is published.
events=$XT_DATA_DIR/events.txt
curl -sSN --max-time 30 "$XT_HTTP/api/events" >"$events" &
curl_pid=$!
for _ in $(seq 1 100); do grep -q '^: connected' "$events" 2>/dev/null && break; sleep 0.05; done
"$pub" "$XTRACE_SERVER" scenario
xt_wait_reports 7
for _ in $(seq 1 100); do
  grep -q '"id":"1234abcd5678ef01"' "$events" && grep -q '"id":"0000000000000002"' "$events" && break
  sleep 0.05
done
kill "$curl_pid" 2>/dev/null || true
grep -q '^event: task$' "$events" || fail "no task event on /api/events"
[ "$(sed -n 's/^data: //p' "$events" | jq -s -c 'map(select(.id == "0000000000000002"))')" = \
  '[{"id":"0000000000000002","title":"other task","reports":1,"processes":1,"hosts":1,"first":1700000000005000,"last":1700000000005000,"tags":["batch"]}]' ] ||
  fail "event data is not the task summary"

# The publisher has exited; the server notices its connection's end on its
# own time.
for _ in $(seq 1 200); do
  [ "$(xt_stats_json | jq '.connections')" = 0 ] && break
  sleep 0.05
done
same_json "stats" "$(xt_stats_json | jq -c '{received, stored, connections, rejected}')" \
  '{"received":7,"stored":7,"connections":0,"rejected":{"frame_too_large":0,"bad_protobuf":0,"no_task_id":0,"wrong_topic":0,"too_many_connections":0,"memory_limit":0,"stalled":0,"network_not_allowed":0}}'

same_json "task list, newest first" "$(xt_tasks_json)" '[
 {"id":"0000000000000003","title":"q\"uote \\ back\nline \u0001 bad\ufffd end","reports":1,"processes":1,"hosts":1,
  "first":1700000000006000,"last":1700000000006000,"tags":[]},
 {"id":"0000000000000002","title":"other task","reports":1,"processes":1,"hosts":1,
  "first":1700000000005000,"last":1700000000005000,"tags":["batch"]},
 {"id":"1234abcd5678ef01","title":"request start","reports":5,"processes":2,"hosts":2,
  "first":1700000000000000,"last":1700000000002000,"tags":["main","rpc"]}]'

# The millisecond timestamp of event 22 is normalised to microseconds, and
# reports come back in time order whatever the order they arrived in.
common='"HRT":5000,"ThreadName":"worker","Agent":"test","Source":"publisher.c"'
same_json "reports of a task" "$(xt_task_reports_json 1234abcd5678ef01)" "[{\"id\":\"1234abcd5678ef01\",\"reports\":[
 {\"TaskID\":\"1234abcd5678ef01\",\"EventID\":\"11\",\"ParentEventID\":[],\"Timestamp\":1700000000000000,$common,
  \"Host\":\"alpha\",\"ProcessID\":101,\"ProcessName\":\"frontend --port 1\",\"ThreadID\":101,\"Label\":\"request start\",\"Tag\":[\"main\"]},
 {\"TaskID\":\"1234abcd5678ef01\",\"EventID\":\"12\",\"ParentEventID\":[\"11\"],\"Timestamp\":1700000000000100,$common,
  \"Host\":\"alpha\",\"ProcessID\":101,\"ProcessName\":\"frontend --port 1\",\"ThreadID\":101,\"Label\":\"calling backend\",\"Tag\":[]},
 {\"TaskID\":\"1234abcd5678ef01\",\"EventID\":\"21\",\"ParentEventID\":[\"12\"],\"Timestamp\":1700000000000200,$common,
  \"Host\":\"beta\",\"ProcessID\":202,\"ProcessName\":\"backend\",\"ThreadID\":202,
  \"Label\":\"handling <script>alert(1)</script>\",\"Tag\":[],\"peer\":\"alpha:1\"},
 {\"TaskID\":\"1234abcd5678ef01\",\"EventID\":\"22\",\"ParentEventID\":[\"21\"],\"Timestamp\":1700000000001000,$common,
  \"Host\":\"beta\",\"ProcessID\":202,\"ProcessName\":\"backend\",\"ThreadID\":202,\"Label\":\"backend done\",\"Tag\":[\"rpc\"]},
 {\"TaskID\":\"1234abcd5678ef01\",\"EventID\":\"13\",\"ParentEventID\":[\"12\",\"22\"],\"Timestamp\":1700000000002000,$common,
  \"Host\":\"alpha\",\"ProcessID\":101,\"ProcessName\":\"frontend --port 1\",\"ThreadID\":102,\"Label\":\"join\",\"Tag\":[]}]}]"

# Attacker text never reaches the output as markup.
raw=$(curl -sS "$XT_HTTP/interactive/reports/1234abcd5678ef01")
grep -q '<script>' <<<"$raw" && fail "raw '<script>' in JSON"
grep -q 'handling \\u003cscript\\u003e' <<<"$raw" || fail "'<' not \\u-escaped"

# Several tasks in one request, IDs in any case and without leading zeros.
same_json "two tasks" "$(xt_task_reports_json 2,1234ABCD5678EF01 | jq -c '[.[] | {id, n: (.reports | length)}]')" \
  '[{"id":"0000000000000002","n":1},{"id":"1234abcd5678ef01","n":5}]'
same_json "unknown task" "$(xt_task_reports_json 77)" '[{"id":"0000000000000077","reports":[]}]'

# Filters.
same_json "q" "$(xt_tasks_json 'q=backend' | jq -c 'map(.id)')" '["1234abcd5678ef01"]'
same_json "q is not a pattern" "$(xt_tasks_json 'q=%25' | jq -c 'map(.id)')" '[]'
same_json "tag" "$(xt_tasks_json 'tag=batch' | jq -c 'map(.id)')" '["0000000000000002"]'
same_json "process" "$(xt_tasks_json 'process=front' | jq -c 'map(.id)')" '["1234abcd5678ef01"]'
same_json "limit+offset" "$(xt_tasks_json 'limit=1&offset=1' | jq -c 'map(.id)')" '["0000000000000002"]'

# Plain text reports.
text=$(curl -sS "$XT_HTTP/reports/1234abcd5678ef01")
[ "$(grep -c '^X-Trace Report ver 1.0$' <<<"$text")" = 5 ] || fail "plain text: 5 reports"
grep -q '^ParentEventID: 22$' <<<"$text" || fail "plain text: parent 22"
grep -q '^peer: alpha:1$' <<<"$text" || fail "plain text: custom key"

# Export in the three formats, from the same data directory while running.
exp=$("$XT_SERVER_BIN" --export 1234abcd5678ef01 --format json --data-dir "$XT_DATA_DIR")
same_json "export json" "$exp" "$(xt_task_reports_json 1234abcd5678ef01)"
dot=$("$XT_SERVER_BIN" --export 1234abcd5678ef01 --format dot --data-dir "$XT_DATA_DIR")
grep -q '^digraph "xtrace_1234abcd5678ef01" {$' <<<"$dot" || fail "dot header"
[ "$(grep -c -- ' -> ' <<<"$dot")" = 5 ] || fail "dot: 5 edges"
grep -q '"22" -> "13" \[style=bold' <<<"$dot" || fail "dot: cross-process edge marked"
chrome=$("$XT_SERVER_BIN" --export 1234abcd5678ef01 --format chrome --data-dir "$XT_DATA_DIR")
same_json "chrome slices" "$(jq -c '[.traceEvents[] | select(.ph == "X" or .ph == "i") | .name]' <<<"$chrome")" \
  '["request start","calling backend","handling <script>alert(1)</script>","backend done","join"]'
# Cross-thread edges 12->21, 22->13, 12->13 (threads differ) each get a flow start and end.
[ "$(jq '[.traceEvents[] | select(.ph == "s")] | length' <<<"$chrome")" = 3 ] || fail "chrome: 3 flows"
[ "$(jq '[.traceEvents[] | select(.ph == "f")] | length' <<<"$chrome")" = 3 ] || fail "chrome: 3 flow ends"
if "$XT_SERVER_BIN" --export 99 --data-dir "$XT_DATA_DIR" >/dev/null 2>&1; then fail "export of unknown task"; fi

xt_server_stop || fail "SIGTERM: non-zero exit"
echo PASS
