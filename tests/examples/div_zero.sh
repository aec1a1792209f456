#!/bin/bash
# Division: truncation toward zero like Go, and division by zero fails the
# call with INVALID_ARGUMENT, relayed through a forwarding hop, for both
# programs and with the callback server.
. "$(dirname "$0")/lib.sh"

for impl in "$ARITH" "$ARITH_CPP" "$ARITH_CPP --callback"; do
	start_server div $impl --div 0
	pdiv=$PORT
	start_server add $impl --add 7 --next-server ":$pdiv"
	padd=$PORT

	run direct "$ARITH" --in 10 --next-server ":$pdiv"
	expect_rc direct 1
	expect_out direct ""
	expect_line direct "call to :$pdiv failed: INVALID_ARGUMENT: division by zero"
	expect_line div "applying operation /0 to argument 10: division by zero"

	run relayed "$ARITH_CPP" --in 3 --next-server ":$padd"
	expect_rc relayed 1
	expect_line relayed "call to :$padd failed: INVALID_ARGUMENT: next server :$pdiv: division by zero"
	expect_line add "next server :$pdiv failed: INVALID_ARGUMENT: division by zero"
	stop_server add
	stop_server div

	start_server div $impl --div 2
	run neg "$ARITH" --in -7 --next-server ":$PORT"
	expect_rc neg 0
	expect_out neg "Got value -3"
	expect_line div "applying operation /2 to argument -7: -3"
	stop_server div
done
