#!/usr/bin/env bash
# Bad input on both ports: each bad stream is skipped or dropped and counted
# in /api/stats, hostile HTTP requests get 4xx, and a good publisher is served
# throughout.   usage: hostile_test.sh PUBLISHER   (XT_SERVER_BIN in the env)
set -euo pipefail
. "$(dirname "$0")/../lib/xtserver.sh"
pub=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
rejected() { xt_stats_json | jq ".rejected.$1"; }
expect_status() { # path, allowed status regex
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is --max-time 10 "$XT_HTTP$1")
  [[ "$got" =~ ^($2)$ ]] || fail "GET $1: status $got, expected $2"
}
# The publisher that must not notice any of it.
good=0
good_report() {
  good=$((good + 1))
  "$pub" "$XTRACE_SERVER" one 600d "good $good"
  xt_wait_reports "$stored_before_good" >/dev/null
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# Two thousand idle publishers, fewer if the descriptor limit (shared by the
# publisher and the server on this machine) cannot hold them.
hard=$(ulimit -n)
idle=2000
if [ "$hard" != unlimited ] && [ $((hard / 2 - 64)) -lt $idle ]; then idle=$((hard / 2 - 64)); fi
xt_server_start --stall-ms 500 --max-connections $((idle + 1000))
idle_pid= partial_pid=
# The long-lived publishers go with the test, whichever way it ends.
trap 'kill $idle_pid $partial_pid 2>/dev/null || true; xt__cleanup' EXIT

# Frame lengths past their bounds: the connection is dropped, nothing allocated.
"$pub" "$XTRACE_SERVER" absurd-topic
"$pub" "$XTRACE_SERVER" absurd-msg
[ "$(rejected frame_too_large)" = 2 ] || fail "frame_too_large not 2"

# Garbage protobuf and another topic: skipped, the next report on the same
# connection is stored.
"$pub" "$XTRACE_SERVER" garbage
"$pub" "$XTRACE_SERVER" topic
xt_wait_reports 2
[ "$(rejected bad_protobuf)" = 1 ] || fail "bad_protobuf not 1"
[ "$(rejected wrong_topic)" = 1 ] || fail "wrong_topic not 1"
[ "$(xt_task_reports_json bad0 | jq '.[0].reports | length')" = 2 ] || fail "good reports after bad ones"

# Idle publishers and a half-open one that stops mid-frame. Both hold their
# connections far longer than the test can take, however slow the machine:
# they are killed once done with.
"$pub" "$XTRACE_SERVER" idle "$idle" 3600 >"$XT_DATA_DIR/idle.out" &
idle_pid=$!
"$pub" "$XTRACE_SERVER" partial 3600 &
partial_pid=$!
for _ in $(seq 1 1200); do grep -q ready "$XT_DATA_DIR/idle.out" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$XT_DATA_DIR/idle.out" || fail "idle publishers did not connect"
# connect() returns once the kernel has queued the connection; the server
# accepts it a little later.
for _ in $(seq 1 600); do [ "$(xt_stats_json | jq .connections)" -ge $((idle + 1)) ] && break; sleep 0.1; done
[ "$(xt_stats_json | jq .connections)" -ge $((idle + 1)) ] || fail "idle connections not kept"
stored_before_good=3
good_report
# The half-open publisher is dropped once its partial frame stalls; the idle
# ones are kept.
for _ in $(seq 1 600); do [ "$(rejected stalled)" = 1 ] && break; sleep 0.1; done
[ "$(rejected stalled)" = 1 ] || fail "stalled publisher not dropped"
[ "$(xt_stats_json | jq .connections)" -ge "$idle" ] || fail "idle connections dropped with the stalled one"
[ "$(xt_stats_json | jq .buffered_bytes)" = 0 ] || fail "memory of the stalled frame kept"

# Past --max-connections, new publishers are closed at once and counted.
"$pub" "$XTRACE_SERVER" idle 1100 1 >/dev/null 2>&1 || true
[ "$(rejected too_many_connections)" -ge 1 ] || fail "connection limit not counted"
kill "$idle_pid" "$partial_pid" 2>/dev/null || true
wait "$idle_pid" "$partial_pid" 2>/dev/null || true
stored_before_good=4
good_report

# HTTP: traversal, bad task IDs, SQL metacharacters, huge requests.
expect_status '/../../../etc/passwd' '400|404'
expect_status '/%2e%2e/%2e%2e/etc/passwd' '400|404'
expect_status '/interactive/reports/../../etc/passwd' '400|404'
expect_status '/interactive/reports/' '400'
expect_status '/interactive/reports/xyz' '400'
expect_status '/interactive/reports/12345678901234567' '400'
expect_status '/interactive/reports/-1' '400'
expect_status '/interactive/reports/1,,2' '400'
expect_status "/interactive/reports/$(seq -s, 1 65)" '400'
expect_status '/reports/%00' '400'
expect_status "/interactive/reports/$(head -c 100000 /dev/zero | tr '\0' 'a')" '4[0-9][0-9]'
expect_status "/api/tasks?q=$(head -c 100000 /dev/zero | tr '\0' 'a')" '4[0-9][0-9]'
expect_status "/api/tasks?q=$(head -c 2000 /dev/zero | tr '\0' 'a')" '400'
expect_status '/api/tasks?limit=-1' '400'
expect_status '/api/tasks?limit=abc' '400'
expect_status '/api/tasks?offset=99999999999' '400'
expect_status '/api/nothing' '404'
expect_status '/api/tasks?q=%27%3B%20DROP%20TABLE%20tasks%3B--' '200'
expect_status '/api/tasks?q=%25%5F%5C&tag=%27%20OR%201%3D1--&process=%22' '200'
[ "$(xt_tasks_json 'tag=%27%20OR%201%3D1--' | jq length)" = 0 ] || fail "SQL in tag matched something"
[ "$(xt_tasks_json | jq length)" = 2 ] || fail "tasks gone after SQL metacharacters"
got=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$XT_HTTP/api/tasks")
[ "$got" = 405 ] || fail "POST: $got"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 100000 /dev/zero | tr '\0' 'b')" "$XT_HTTP/api/stats")
[[ "$got" =~ ^4 ]] || fail "huge header: $got"

stored_before_good=5
good_report
kill -0 "$XT_SERVER_PID" || fail "server died"
xt_server_stop || fail "non-zero exit after hostile input"
echo PASS
