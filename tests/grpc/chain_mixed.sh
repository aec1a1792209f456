#!/usr/bin/env bash
# C -> C++ (sync server, blocking stub) -> C, then the same with the C++
# callback server in the middle: grpc++ serves through the core allocators
# and forwards from its own threads, and the task must not notice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
start_collector
chain_check "$ARITH" "$ARITH_CPP" "$ARITH"
for p in "${PIDS[@]}"; do kill -TERM "$p"; wait "$p" || true; done
PIDS=()
chain_check "$ARITH" "$ARITH_CPP" "$ARITH" --callback
