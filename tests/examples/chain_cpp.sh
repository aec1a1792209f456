#!/bin/bash
# The reference chain, all hops on grpc++ (sync server, blocking stub).
. "$(dirname "$0")/lib.sh"
chain "$ARITH_CPP" "$ARITH_CPP" "$ARITH_CPP"
