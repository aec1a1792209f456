#!/usr/bin/env bash
# Why XTRACE_GRPC_PROPAGATION offers no "census": gRPC core takes
# grpc-trace-bin out of a request's metadata before the application's
# array is filled, and that array is all the server-side hooks read. A
# control key of the same kind goes through.
. "$(dirname "$0")/lib.sh"
start_server peer 0 "$MDPEER" serve
"$MDPEER" call "127.0.0.1:$PORT" /x.Y/Z grpc-trace-bin=census x-control-bin=control \
  >"$T/call.out" 2>"$T/call.err" || fail "call failed: $(cat "$T/call.err")"
for _ in $(seq 100); do grep -qx end "$T/peer.out" && break; sleep 0.05; done
grep -qx "md x-control-bin control" "$T/peer.out" || fail "control key lost: $(cat "$T/peer.out")"
! grep -q "^md grpc-trace-bin" "$T/peer.out" ||
  fail "grpc-trace-bin reaches the application on this gRPC: census could be offered"
