#!/usr/bin/env bash
# The reply carries xtrace_event_id only to a caller that sent the xtrace
# keys, or to every caller with XTRACE_GRPC_REPLY=1; the server reads every
# kind of key whatever XTRACE_GRPC_PROPAGATION says.
. "$(dirname "$0")/lib.sh"
start_collector
tp=00-00000000000000001234abcd5678ef02-0badc0ffee123457-01

# call NAME KEY=VALUE...: one call to the server on $PORT; its reply event
# (the task is the caller's) is printed when the caller sent task $2.
call() {
  local name=$1
  shift
  "$MDPEER" call "127.0.0.1:$PORT" /main.Operator/PerformOp "$@" >"$T/$name.out" \
    2>"$T/$name.err" || fail "call $name failed: $(cat "$T/$name.err")"
}
trailer() { sed -n 's/^trailer xtrace_event_id //p' "$T/$1.out"; }
reply_of() {
  wait_task "$1" 'any(.[]; .Label | startswith("grpc reply"))'
  reports "$1" | jq -r '.[] | select(.Label | startswith("grpc reply")) | .EventID'
}

# Set to send nothing but traceparent, the server still reads both kinds.
XTRACE_GRPC_PROPAGATION=w3c start_server plain 1 "$ARITH" --mul 3 --listen-addr :0
call tp "traceparent=$tp"
[ -z "$(trailer tp)" ] || fail "a traceparent-only caller got a reply edge: $(cat "$T/tp.out")"
call xt xtrace_task_id=4660 xtrace_event_id=99
[ "$(trailer xt)" = "$(reply_of 0000000000001234)" ] ||
  fail "an xtrace caller got no reply edge: $(cat "$T/xt.out")"
reply_of 1234abcd5678ef02 >/dev/null # the traceparent was adopted

XTRACE_GRPC_REPLY=1 start_server always 1 "$ARITH" --mul 3 --listen-addr :0
call tp2 "traceparent=${tp/5678ef02/5678ef03}"
[ "$(trailer tp2)" = "$(reply_of 1234abcd5678ef03)" ] ||
  fail "XTRACE_GRPC_REPLY=1 sent no reply edge: $(cat "$T/tp2.out")"
