#!/usr/bin/env bash
# The C chain under the preload is one task across three processes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/chain_lib.sh"
start_collector
chain_check "$ARITH" "$ARITH" "$ARITH"
