#!/usr/bin/env bash
# The chain with a client and a forwarding server on callback completion
# queues of the real core (every step of theirs runs in a functor on one of
# core's threads), then with the last server on one: one task each time,
# with the same graph as the plain C chain.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
start_collector
chain_check "$CBQ_ARITH" "$CBQ_ARITH" "$ARITH"
chain_check "$ARITH" "$ARITH" "$CBQ_ARITH"
