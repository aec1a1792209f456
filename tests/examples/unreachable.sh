#!/bin/bash
# A next server that is not there (connection refused: UNAVAILABLE at once)
# or does not answer (a stopped process whose socket still accepts: the
# deadline), and a listen port that is taken.
. "$(dirname "$0")/lib.sh"

# A port where connections are refused, held for the whole test so that no
# other server is given it.
xt_closed_port || fail "no closed port"
closed=$CLOSED_PORT

for impl in "$ARITH" "$ARITH_CPP"; do
	run direct "$impl" --in 1 --next-server ":$closed"
	expect_rc direct 1
	grep -q "^call to :$closed failed: UNAVAILABLE: " "$T/direct.err" ||
		fail "direct call to a closed port is not UNAVAILABLE"

	start_server add "$impl" --add 1 --next-server ":$closed"
	padd=$PORT
	run relayed "$impl" --in 1 --next-server ":$padd"
	expect_rc relayed 1
	grep -q "^call to :$padd failed: UNAVAILABLE: next server :$closed: " \
		"$T/relayed.err" || fail "relayed UNAVAILABLE missing"
	grep -q "^next server :$closed failed: UNAVAILABLE: " "$T/add.err" ||
		fail "forwarding server did not log the failure"
	stop_server add

	# SIGSTOP leaves the socket accepting, so the call waits for its
	# deadline. The middle hop's own deadline is an hour: its forward can
	# only end early because the client's deadline is propagated, which
	# shows as DEADLINE_EXCEEDED or, when the parent's cancellation wins
	# the race, CANCELLED.
	start_server stuck "$impl" --mul 3
	pstuck=$PORT
	kill -STOP "${PID[stuck]}"
	start_server add "$impl" --add 1 --next-server ":$pstuck" \
		--deadline-ms 3600000
	padd=$PORT
	run late "$impl" --in 1 --next-server ":$padd" --deadline-ms 300
	expect_rc late 1
	grep -q "^call to :$padd failed: DEADLINE_EXCEEDED: " "$T/late.err" ||
		fail "no DEADLINE_EXCEEDED for a silent next server"
	wait_line add "passing to :$pstuck"
	for _ in $(seq 200); do
		grep -Eq "^next server :$pstuck failed: (DEADLINE_EXCEEDED|CANCELLED): " \
			"$T/add.err" && break
		sleep 0.05
	done
	grep -Eq "^next server :$pstuck failed: (DEADLINE_EXCEEDED|CANCELLED): " \
		"$T/add.err" ||
		fail "middle hop did not see the propagated deadline"
	stop_server add
	kill -CONT "${PID[stuck]}"
	stop_server stuck

	# A taken port is an error (exit 3), not a shared listener.
	start_server first "$impl" --add 1
	run second "$impl" --add 2 --listen-addr ":$PORT"
	expect_rc second 3
	expect_line second "arith: cannot listen on :$PORT: address in use or not valid"
	stop_server first
done
