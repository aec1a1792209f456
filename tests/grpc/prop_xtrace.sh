#!/usr/bin/env bash
# XTRACE_GRPC_PROPAGATION=xtrace: calls carry the two decimal keys the Go
# client reads and no traceparent; the chain is one task with its reply edge.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
export XTRACE_GRPC_PROPAGATION=xtrace
start_collector

start_server peer 0 "$MDPEER" serve
traced "$ARITH" --in 5 --next-server ":$PORT" >"$T/client.out" 2>"$T/client.err" ||
  fail "traced client failed"
for _ in $(seq 100); do grep -qx end "$T/peer.out" && break; sleep 0.05; done
grep -qx end "$T/peer.out" || fail "the peer saw no call"
md() { sed -n "s/^md $1 //p" "$T/peer.out"; }
[ -z "$(md traceparent)" ] || fail "traceparent sent: $(cat "$T/peer.out")"
tid=$(md xtrace_task_id)
eid=$(md xtrace_event_id)
[[ "$tid" =~ ^[1-9][0-9]*$ && "$eid" =~ ^[1-9][0-9]*$ ]] || fail "xtrace keys: '$tid' '$eid'"
wait_task "$(printf '%016x' "$tid")" \
  "any(.[]; .EventID == \"$eid\" and (.Label | startswith(\"grpc call\")))"

chain_check "$ARITH" "$ARITH" "$ARITH"
