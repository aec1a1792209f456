#!/usr/bin/env bash
# XTRACE_GRPC=0: no gRPC metadata propagation. A traced client calls
# mdpeer, which prints the metadata it received: none of the library's keys.
# A traced server answers mdpeer's call: no xtrace_event_id in its trailers.
# The same with the default shows the keys, so the check can tell.
. "$(dirname "$0")/lib.sh"
st_start_server

# The helpers run in command substitutions, whose additions to ST_PIDS the
# cleanup never sees: each stops its own server.
stop_last() { kill -TERM "${ST_PIDS[-1]}" 2>/dev/null; wait "${ST_PIDS[-1]}" 2>/dev/null || true; }
client_keys() { # $1: XTRACE_GRPC value; prints the keys mdpeer saw
  : >"$PL_TMP/peer$1.err"
  "$MDPEER" serve >"$PL_TMP/peer$1.out" 2>"$PL_TMP/peer$1.err" &
  ST_PIDS+=($!)
  xt_wait_port "$PL_TMP/peer$1.err" "$!" || fail "mdpeer: $PORT_ERR"
  XTRACE_GRPC=$1 XTRACE_BAGGAGE=$ST_BAGGAGE traced "$ARITH" --in 3 --next-server ":$PORT" \
    >"$PL_TMP/client$1.out" 2>"$PL_TMP/client$1.err" || fail "client failed: $(cat "$PL_TMP/client$1.err")"
  wait_line "$PL_TMP/peer$1.out" end || fail "mdpeer printed no call"
  sed -n 's/^md \([^ ]*\) .*/\1/p' "$PL_TMP/peer$1.out" | sort | tr '\n' ' '
  stop_last
}
server_trailers() { # $1: XTRACE_GRPC value; prints the trailer keys mdpeer got
  : >"$PL_TMP/mul$1.err"
  # Not through traced, a function: $! must be the server itself.
  env XTRACE_GRPC="$1" LD_PRELOAD="$PL_PRELOAD" "$ARITH" --mul 3 --listen-addr :0 >"$PL_TMP/mul$1.out" 2>"$PL_TMP/mul$1.err" &
  ST_PIDS+=($!)
  xt_wait_port "$PL_TMP/mul$1.err" "$!" || fail "arith --mul: $PORT_ERR"
  # With the xtrace keys, which the reply edge answers.
  "$MDPEER" call "127.0.0.1:$PORT" /main.Operator/PerformOp xtrace_task_id=77 xtrace_event_id=78 \
    >"$PL_TMP/call$1.out" 2>"$PL_TMP/call$1.err" ||
    fail "call failed: $(cat "$PL_TMP/call$1.err")"
  sed -n 's/^trailer \([^ ]*\) .*/\1/p' "$PL_TMP/call$1.out" | sort | tr '\n' ' '
  stop_last
}

on=$(client_keys 1)
for k in xtrace_task_id xtrace_event_id traceparent baggage; do
  [[ " $on" == *" $k "* ]] || fail "with XTRACE_GRPC=1 mdpeer did not see $k (saw: $on)"
done
off=$(client_keys 0)
for k in xtrace_task_id xtrace_event_id traceparent baggage; do
  [[ " $off" != *" $k "* ]] || fail "with XTRACE_GRPC=0 the client still sent $k (sent: $off)"
done
[[ " $(server_trailers 1)" == *" xtrace_event_id "* ]] || fail "with XTRACE_GRPC=1 no trailing xtrace_event_id"
[[ " $(server_trailers 0)" != *" xtrace_event_id "* ]] || fail "with XTRACE_GRPC=0 the server still sent xtrace_event_id"
