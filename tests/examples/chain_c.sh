#!/bin/bash
# The reference chain, all hops in C: the five log lines, exactly.
. "$(dirname "$0")/lib.sh"
chain "$ARITH" "$ARITH" "$ARITH"
