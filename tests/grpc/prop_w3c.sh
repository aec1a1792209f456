#!/usr/bin/env bash
# XTRACE_GRPC_PROPAGATION=w3c: calls carry a traceparent and no xtrace keys;
# the traced servers, which read it, keep the chain one task, and with no
# xtrace keys in their requests they send no reply edge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
export XTRACE_GRPC_PROPAGATION=w3c
start_collector

# What goes on the wire, seen by an untraced peer.
start_server peer 0 "$MDPEER" serve
traced "$ARITH" --in 5 --next-server ":$PORT" >"$T/client.out" 2>"$T/client.err" ||
  fail "traced client failed"
for _ in $(seq 100); do grep -qx end "$T/peer.out" && break; sleep 0.05; done
grep -qx end "$T/peer.out" || fail "the peer saw no call"
md() { sed -n "s/^md $1 //p" "$T/peer.out"; }
[ -z "$(md xtrace_task_id)$(md xtrace_event_id)" ] || fail "xtrace keys sent: $(cat "$T/peer.out")"
tp=$(md traceparent)
[[ "$tp" =~ ^00-0{16}([0-9a-f]{16})-([0-9a-f]{16})-01$ ]] || fail "traceparent '$tp'"
task=${BASH_REMATCH[1]} parent=$((16#${BASH_REMATCH[2]}))
wait_task "$task" "any(.[]; .EventID == \"$parent\" and (.Label | startswith(\"grpc call\")))"

CHAIN_REPLY_EDGE=0 chain_check "$ARITH" "$ARITH" "$ARITH"
