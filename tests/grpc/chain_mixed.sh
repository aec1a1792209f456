#!/usr/bin/env bash
# C -> C++ (sync server, blocking stub) -> C, then the same with the C++
# callback server in the middle: grpc++ serves through the core allocators
# and forwards from its own threads, and the task must not notice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
start_collector
chain_check "$ARITH" "$ARITH_CPP" "$ARITH"
# The servers of the first round stop cleanly: a crash on the way out is a failure.
for p in "${PIDS[@]}"; do
  kill -TERM "$p"
  rc=0
  wait "$p" || rc=$?
  [ "$rc" = 0 ] || fail "server $p exited with status $rc after SIGTERM"
done
PIDS=()
chain_check "$ARITH" "$ARITH_CPP" "$ARITH" --callback
