#!/usr/bin/env bash
# Malformed context metadata never fails a call: each one below succeeds, is
# counted (the receive event names the offending key in metadata_error), and
# a call with no usable context starts a task of its own.
. "$(dirname "$0")/lib.sh"
start_collector
start_server peer 1 "$MDPEER" serve
cases=(
  "xtrace_task_id=abc"
  "xtrace_task_id=99999999999999999999"
  "xtrace_task_id=0"
  "xtrace_task_id=-5"
  "xtrace_task_id=@10240"
  "xtrace_task_id=5 xtrace_task_id=6"
  "xtrace_task_id=12 xtrace_event_id=x1"
  "xtrace_event_id=42"
  "traceparent=00-zzzz-01"
  "traceparent=@10240"
  "xtrace_task_id=77 baggage=k=%zz"
)
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  "$MDPEER" call "127.0.0.1:$PORT" /x.Y/Z $c >"$T/call.out" 2>"$T/call.err" ||
    fail "call with '$c' failed: $(cat "$T/call.err")"
done
want=${#cases[@]}
# Every receive event of the server, across all tasks.
receives() {
  local t
  for t in $(xt_tasks_json "limit=1000" | jq -r '.[].id'); do
    reports "$t" | jq -c '.[] | select(.Label | startswith("grpc receive"))'
  done
}
n=0
for _ in $(seq 100); do
  receives >"$T/recv.json"
  n=$(jq -s 'length' "$T/recv.json")
  [ "$n" -ge "$want" ] && break
  sleep 0.2
done
[ "$n" = "$want" ] || fail "$n receive events for $want calls"
errs=$(jq -s '[.[] | select(.metadata_error)] | length' "$T/recv.json")
[ "$errs" = "$want" ] || fail "$errs of $want malformed calls counted: $(jq -sc 'map(.metadata_error)' "$T/recv.json")"
# The bad baggage is dropped, the good task ID kept: task 77 (0x4d).
jq -se 'any(.[]; .TaskID == "000000000000004d" and .metadata_error == "baggage")' "$T/recv.json" \
  >/dev/null || fail "valid task ID with bad baggage was not kept"
# The others each started a task of their own.
[ "$(jq -s '[.[].TaskID] | unique | length' "$T/recv.json")" = "$want" ] ||
  fail "malformed calls share tasks"
