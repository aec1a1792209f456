#!/bin/bash
# Wire compatibility with the reference Go example, checked with an
# independent client (Ruby gRPC and a hand-written proto3 encoder).
. "$(dirname "$0")/lib.sh"
ruby -e "require 'grpc'" 2>/dev/null || fail "ruby-grpc is missing (scripts/setup installs it)"

for impl in "$ARITH" "$ARITH_CPP" "$ARITH_CPP --callback"; do
	start_server add $impl --add 7
	ruby "$(dirname "$0")/wire.rb" "$PORT" 7 >"$T/ruby.out" 2>"$T/ruby.err" ||
		fail "$impl: wire check failed"
	stop_server add
done
