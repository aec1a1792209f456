#!/usr/bin/env bash
# XTRACE_FLUSH_MS: process exit waits that long for buffered events to reach
# the collector; exec waits at most 200 ms whatever it says. A shut gate in
# front of the collector holds the events back (the connection is up, so the
# library does not give up on it as unreachable).
. "$(dirname "$0")/lib.sh"
# The burst is larger than the default log-line budget: the budget is set to
# hold it, so that only the setting under test can lose events.
st_start_server
n=3000

# Exit: with XTRACE_FLUSH_MS=60000 the program is still waiting when the
# gate opens, after longer than the default 500 ms, and every event arrives.
# Had the setting been ignored, the program would have ended at 500 ms and
# its buffered events, the exit event last, would be lost.
gate_start gate1
XTRACE_SERVER=$GATE_ADDR XTRACE_FLUSH_MS=60000 XTRACE_LOG_BURST=$n \
  traced "$XT_SET_PROGS/burst" $n 300 exit 3>"$PL_TMP/ready1" 2>"$PL_TMP/err1" &
prog=$!
ST_PIDS+=($prog)
wait_line "$PL_TMP/ready1" ready || fail "burst did not finish its burst"
# Not a wait for something to happen: the time that makes the default
# flush run out, so that only the setting can keep the events.
sleep 2
gate_open
t=$(wait_task_titled "$XT_SET_PROGS/burst $n 300 exit")
must_match "$t" "[.[] | select(.Label | startswith(\"burst \"))] | length == $n" "burst lines lost"
must_match "$t" 'any(.[]; .Label == "exit 0")' "the exit event was lost"
wait "$prog" || fail "burst failed: $(grep -v '^burst ' "$PL_TMP/err1")"

# Exec: with the gate shut and XTRACE_FLUSH_MS=60000, the exec'd image runs
# (and says so on fd 3) while its predecessor's events are still held back:
# exec did not wait for them. The test waits 30 s for that, well under 60 s.
# The exec'd image says so on stdout, which goes to a file of its own: it is
# a log stream here because the test says so.
gate_start gate2
XTRACE_SERVER=$GATE_ADDR XTRACE_FLUSH_MS=60000 XTRACE_LOG_BURST=$n XTRACE_LOG_STREAMS=stderr,stdout \
  traced "$XT_SET_PROGS/burst" $n 300 exec 3>"$PL_TMP/ready2" >"$PL_TMP/out2" 2>"$PL_TMP/err2" &
prog=$!
ST_PIDS+=($prog)
wait_line "$PL_TMP/ready2" "exec'd child" 30 || fail "exec waited for the collector"
gate_open
t=$(wait_task_titled "$XT_SET_PROGS/burst $n 300 exec")
must_match "$t" 'any(.[]; .Label == "exec'"'"'d child") and any(.[]; .Label == "exit 0")' \
  "the exec'd image's events did not arrive"
wait "$prog" || fail "burst failed: $(grep -v '^burst ' "$PL_TMP/err2")"

# Unreachable: a refused connection means no wait at all, whatever
# XTRACE_FLUSH_MS says: the program ends (the test allows 30 s of 60).
: >"$PL_TMP/refuse.err"
"$XT_SET_PROGS/gate" --refuse 2>"$PL_TMP/refuse.err" &
ST_PIDS+=($!)
xt_wait_port "$PL_TMP/refuse.err" "$!" || fail "gate --refuse: $PORT_ERR"
XTRACE_SERVER=127.0.0.1:$PORT XTRACE_FLUSH_MS=60000 XTRACE_DEBUG=1 \
  traced "$XT_SET_PROGS/burst" 10 10 exit 3>/dev/null 2>"$PL_TMP/err3" &
prog=$!
ST_PIDS+=($prog)
for _ in $(seq 300); do kill -0 "$prog" 2>/dev/null || break; sleep 0.1; done
kill -0 "$prog" 2>/dev/null && fail "exit waited for an unreachable collector: $(grep -v '^burst ' "$PL_TMP/err3")"
wait "$prog" || fail "burst failed: $(grep -v '^burst ' "$PL_TMP/err3")"
# The exit either found the refusal or had not reached the collector yet:
# either way it says it did not wait.
grep -qE 'unreachable|not reached, not waiting' "$PL_TMP/err3" ||
  fail "the exit did not say why it did not wait: $(grep -v '^burst ' "$PL_TMP/err3")"
