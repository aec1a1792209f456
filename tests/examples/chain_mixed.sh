#!/bin/bash
# C and C++ hops interchange: C -> C++ -> C, then C++ -> C -> C++.
. "$(dirname "$0")/lib.sh"
chain "$ARITH" "$ARITH_CPP" "$ARITH"
chain "$ARITH_CPP" "$ARITH" "$ARITH_CPP"
