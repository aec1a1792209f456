# Helpers for the example-chain tests: start servers on ephemeral ports,
# check exact log lines, clean up whatever was started.
#
# Servers are started with --listen-addr :0 (or HOST:0); they report the
# port the kernel chose as the stderr line "listening on :PORT", which
# start_server waits for. No port is ever guessed, so tests can run in
# parallel. ARITH and ARITH_CPP name the binaries (set by ctest).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib/port.sh"

: "${ARITH:?path of the arith binary}"
: "${ARITH_CPP:?path of the arith-cpp binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/xt-examples.XXXXXX")
declare -A PID=()
PIDS=()

cleanup() {
	local p
	# What a test did not stop itself: its status was not asked for.
	for p in "${PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	local f
	for f in "$T"/*.err "$T"/*.out; do
		[ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
	done
	exit 1
}

# start_server NAME BINARY ARGS... : runs BINARY ARGS --listen-addr :0 in
# the background; afterwards PORT holds its port and $T/NAME.err its stderr.
start_server() {
	local name=$1 bin=$2
	shift 2
	: >"$T/$name.err" # before the job: see xt_wait_port
	"$bin" "$@" --listen-addr :0 >"$T/$name.out" 2>"$T/$name.err" &
	PID[$name]=$!
	PIDS+=($!)
	xt_wait_port "$T/$name.err" "${PID[$name]}" || fail "$name $PORT_ERR"
}

# stop_server NAME [SIGNAL] : SIGTERM (or SIGNAL), and the shutdown must be
# clean (exit 0) and say which signal it was.
stop_server() {
	local name=$1 sig=${2:-TERM} rc=0
	kill -"$sig" "${PID[$name]}"
	wait "${PID[$name]}" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name exited with $rc after SIG$sig"
	expect_line "$name" "shutting down on SIG$sig"
}

# interrupt NAME : as stop_server, with SIGINT (Ctrl-C).
interrupt() { stop_server "$1" INT; }

# run NAME BINARY ARGS... : a foreground client; RC, $T/NAME.out/.err.
run() {
	local name=$1
	shift
	RC=0
	"$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}

# expect_line NAME LINE : LINE is a whole line of NAME's stderr.
expect_line() {
	grep -qxF -- "$2" "$T/$1.err" || fail "$1: no stderr line '$2'"
}

# expect_lines NAME LINE... : NAME's stderr is exactly these lines, in order.
expect_lines() {
	local name=$1
	shift
	[ "$(cat "$T/$name.err")" = "$(printf '%s\n' "$@")" ] ||
		fail "$name: stderr is not exactly: $(printf "'%s' " "$@")"
}

# wait_line NAME LINE : as expect_line, for a line a server writes after the
# client has already returned (it may still be on its way).
wait_line() {
	for _ in $(seq 200); do
		grep -qxF -- "$2" "$T/$1.err" && return 0
		sleep 0.05
	done
	fail "$1: no stderr line '$2'"
}

expect_out() {
	[ "$(cat "$T/$1.out")" = "$2" ] || fail "$1: stdout is not '$2'"
}

expect_rc() {
	[ "$RC" -eq "$2" ] || fail "$1: exit code $RC, expected $2"
}

# chain CLIENT ADD MUL [ADD-FLAGS] : the reference chain
# --in 3 -> --add 7 -> --mul 3 with the given binaries, checked line by line.
chain() {
	local client=$1 add=$2 mul=$3
	shift 3
	start_server mul "$mul" --mul 3
	local p2=$PORT
	start_server add "$add" --add 7 --next-server ":$p2" "$@"
	local p1=$PORT
	run client "$client" --in 3 --next-server ":$p1"
	expect_rc client 0
	expect_out client "Got value 30"
	stop_server add
	interrupt mul
	# The chain's lines and nothing else: these are what the reference
	# example prints, and what a traced chain's events are made of.
	expect_lines client "passing --in (3) to :$p1"
	expect_lines add "listening on :$p1" "applying operation +7 to argument 3: 10" \
		"passing to :$p2" "shutting down on SIGTERM"
	expect_lines mul "listening on :$p2" "applying operation *3 to argument 10: 30" \
		"returning value 30" "shutting down on SIGINT"
}
