#!/bin/bash
# The grpc++ callback server in the middle (forwarding with the callback
# client API), then as the last hop too.
. "$(dirname "$0")/lib.sh"
chain "$ARITH" "$ARITH_CPP" "$ARITH" --callback

start_server mul "$ARITH_CPP" --mul 3 --callback
p2=$PORT
start_server add "$ARITH_CPP" --add 7 --callback --next-server ":$p2"
run client "$ARITH" --in 3 --next-server ":$PORT"
expect_rc client 0
expect_out client "Got value 30"
expect_line mul "returning value 30"
stop_server add
stop_server mul
