#!/usr/bin/env bash
# W3C Trace Context: an incoming call that carries only a traceparent is
# adopted (its trace ID becomes the task, its parent ID the first parent),
# and an outgoing call carries a traceparent that agrees with the xtrace keys.
. "$(dirname "$0")/lib.sh"
start_collector

# Incoming: mdpeer (untraced) calls a traced server with only a traceparent.
task=1234abcd5678ef01
parent=0badc0ffee123456
# The reply edge goes to callers without xtrace keys only when asked for.
XTRACE_GRPC_REPLY=1 start_server mul 1 "$ARITH" --mul 3 --listen-addr :0
"$MDPEER" call "127.0.0.1:$PORT" /main.Operator/PerformOp \
  "traceparent=00-0000000000000000$task-$parent-01" >"$T/call.out" 2>"$T/call.err" ||
  fail "call with a traceparent failed"
wait_task "$task" 'any(.[]; .Label == "returning value 0") and any(.[]; .Label | startswith("grpc reply"))'
reports "$task" >"$T/in.json"
jq -e --arg p "$((16#$parent))" '.[] | select(.Label | startswith("grpc receive")) | .ParentEventID == [$p]' \
  "$T/in.json" >/dev/null || fail "the receive event's parent is not the traceparent's parent-id"
jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id("returning value 0")))
    | index([$r | map(select(.Label | startswith("grpc receive"))) | .[0].EventID]) != null' \
  "$T/in.json" >/dev/null || fail "the handler's line does not follow the receive event"
reply=$(jq -r '.[] | select(.Label | startswith("grpc reply")) | .EventID' "$T/in.json")
grep -qx "trailer xtrace_event_id $reply" "$T/call.out" ||
  fail "trailing xtrace_event_id is not the reply event $reply: $(cat "$T/call.out")"

# Outgoing: a traced client calls mdpeer, which prints what it received.
start_server peer 0 "$MDPEER" serve
traced "$ARITH" --in 5 --next-server ":$PORT" >"$T/client.out" 2>"$T/client.err" ||
  fail "traced client failed"
for _ in $(seq 100); do grep -qx end "$T/peer.out" && break; sleep 0.05; done
md() { sed -n "s/^md $1 //p" "$T/peer.out"; }
tid=$(md xtrace_task_id)
eid=$(md xtrace_event_id)
tp=$(md traceparent)
[[ "$tid" =~ ^[1-9][0-9]*$ && "$eid" =~ ^[1-9][0-9]*$ ]] || fail "xtrace keys: '$tid' '$eid'"
[[ "$tp" =~ ^00-[0-9a-f]{32}-[0-9a-f]{16}-01$ ]] || fail "malformed traceparent '$tp'"
want=$(printf '00-0000000000000000%016x-%016x-01' "$tid" "$eid")
[ "$tp" = "$want" ] || fail "traceparent '$tp' disagrees with the xtrace keys ('$want')"
[ -z "$(md baggage)" ] || fail "baggage sent for a context without items"
hex=$(printf '%016x' "$tid")
wait_task "$hex" "any(.[]; .EventID == \"$eid\" and (.Label | startswith(\"grpc call\")))" ||
  fail "the traceparent's parent-id is not the client's grpc call event"

# Baggage items the client's task carries (here inherited from its
# environment) go out in a W3C baggage key.
start_server peer2 0 "$MDPEER" serve
XTRACE_BAGGAGE="1;00000000000abcde;00000000000abcdf;tenant=blue,user=a%20b" \
  traced "$ARITH" --in 5 --next-server ":$PORT" >"$T/client2.out" 2>"$T/client2.err" ||
  fail "traced client with baggage failed"
for _ in $(seq 100); do grep -qx end "$T/peer2.out" && break; sleep 0.05; done
bag=$(sed -n "s/^md baggage //p" "$T/peer2.out")
[ "$bag" = "tenant=blue,user=a%20b" ] || fail "baggage sent: '$bag': $(cat "$T/peer2.out")"
