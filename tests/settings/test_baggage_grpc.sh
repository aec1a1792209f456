#!/usr/bin/env bash
# Baggage items cross processes both ways they travel: XTRACE_BAGGAGE down
# to a grandchild (sh -> sh -> arith --in), then gRPC `baggage` metadata
# into a traced arith --add server, whose handler adopts them and forwards
# them on its own call to mdpeer, which prints what it received.
. "$(dirname "$0")/lib.sh"
st_start_server
: >"$PL_TMP/peer.err"
"$MDPEER" serve >"$PL_TMP/peer.out" 2>"$PL_TMP/peer.err" &
ST_PIDS+=($!)
xt_wait_port "$PL_TMP/peer.err" "$!" || fail "mdpeer: $PORT_ERR"
peer=$PORT
: >"$PL_TMP/add.err"
traced "$ARITH" --add 7 --next-server ":$peer" --listen-addr :0 >"$PL_TMP/add.out" 2>"$PL_TMP/add.err" &
ST_PIDS+=($!)
xt_wait_port "$PL_TMP/add.err" "$!" || fail "arith --add: $PORT_ERR"
add=$PORT
XTRACE_BAGGAGE=$ST_BAGGAGE traced sh -c \
  'sh -c "\"$0\" --in 3 --next-server :$1; echo child done >&2"; echo top done >&2' "$ARITH" "$add" \
  >"$PL_TMP/client.out" 2>"$PL_TMP/client.err" || fail "the client chain failed: $(cat "$PL_TMP/client.err")"
wait_line "$PL_TMP/peer.out" end || fail "mdpeer printed no call: $(cat "$PL_TMP/peer.out" "$PL_TMP/peer.err")"
md() { sed -n "s/^md $1 //p" "$PL_TMP/peer.out"; }
[ "$(md xtrace_task_id)" = "$((16#$ST_TASK))" ] || fail "the call to mdpeer is not in the given task: $(cat "$PL_TMP/peer.out")"
same_items "$(md baggage)" || fail "mdpeer received baggage '$(md baggage)', not '$ST_ITEMS'"
# The hops between are in the task too: the grandchild's line and the
# server's.
must_match "$ST_TASK" 'any(.[]; .Label | startswith("passing --in (3)")) and any(.[]; .Label | startswith("applying operation +7"))' \
  "the client's and the server's lines are not in the given task"
