#!/usr/bin/env bash
# A per-request probe (@deep fflush) in a gRPC server that serves two
# clients' tasks in one process: it fires in the task that
# `xtrace-run --baggage deep=1` started, carried to the server in the
# call's baggage, and not in the other task's call.
. "$(dirname "$0")/lib.sh"
. "$XT_TOP/tests/lib/port.sh"
pl_start_server
: >"$PL_TMP/peer.err"
XTRACE_PROBES='@deep fflush(ptr)->int' traced "$XT_PR_PROGS/mdpeer" serve >"$PL_TMP/peer.out" 2>"$PL_TMP/peer.err" &
peer=$!
trap 'kill $peer 2>/dev/null; wait $peer 2>/dev/null || true; pl_cleanup' EXIT
xt_wait_port "$PL_TMP/peer.err" "$peer" || fail "mdpeer: $PORT_ERR: $(cat "$PL_TMP/peer.err")"

# The client is started by xtrace-run as a user would; under ASan the
# runtime must come first in LD_PRELOAD and xtrace-run appends to it.
run() {
  if [ "${XT_SANITIZE:-}" = address ]; then
    LD_PRELOAD=$XT_SAN_RUNTIME "$XT_TOP/scripts/xtrace-run" --lib "$XT_PRELOAD_LIB" "$@"
  else
    env -u LD_PRELOAD "$XT_TOP/scripts/xtrace-run" --lib "$XT_PRELOAD_LIB" "$@"
  fi
}
run --baggage deep=1 -- "$XT_PR_PROGS/mdpeer" call "127.0.0.1:$PORT" /probes.T/Deep >"$PL_TMP/c1" ||
  fail "deep call: $(cat "$PL_TMP/c1")"
run -- "$XT_PR_PROGS/mdpeer" call "127.0.0.1:$PORT" /probes.T/Plain >"$PL_TMP/c2" ||
  fail "plain call: $(cat "$PL_TMP/c2")"
grep -q '^md baggage deep=1$' "$PL_TMP/peer.out" || fail "the item did not reach the server: $(cat "$PL_TMP/peer.out")"

# In each client's task, the server's side of the call ends with the event
# of its reply; once it is stored, the probe's events (recorded before it)
# are too.
server_done='any(.[]; .Agent == "grpc" and (.Label | startswith("grpc reply ")))'
deep=$(wait_task_titled "/probes.T/Deep" "$server_done")
plain=$(wait_task_titled "/probes.T/Plain" "$server_done")
rd=$(reports "$deep")
jq -e '(.[] | select(.Label | startswith("grpc receive ")) | .ProcessID) as $pid | [.[] | select(.ProcessID == $pid and .Agent == "probe") | .Label] as $l |
  ($l | length) == 2 and ($l[0] | test("^→ fflush\\(0x[0-9a-f]+\\)$")) and ($l[1] | startswith("← fflush = 0 ("))' \
  <<<"$rd" >/dev/null || fail "deep task: $(jq -c '[.[] | {ProcessID, Agent, Label}]' <<<"$rd")"
rp=$(reports "$plain")
jq -e 'any(.[]; .Label | startswith("grpc receive ")) and all(.[]; .Agent != "probe")' <<<"$rp" >/dev/null ||
  fail "plain task: $(jq -c '[.[] | {ProcessID, Agent, Label}]' <<<"$rp")"
