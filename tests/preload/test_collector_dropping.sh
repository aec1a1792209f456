#!/usr/bin/env bash
# A collector that drops connection attempts (its accept queue full: no
# answer, no refusal) costs no process a wait: nothing waits for a collector
# it has not reached, and once one process has learned that it is
# unreachable, its children inherit that instead of each trying again.
# Whether a process waited is read from its XTRACE_DEBUG lines.
. "$(dirname "$0")/lib.sh"
# listen() with backlog 0 holds one connection; the one made here fills the
# queue, and the kernel drops every later SYN.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
c = socket.create_connection(s.getsockname())
with open(sys.argv[1] + ".tmp", "w") as f: f.write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)' "$PL_TMP/port" &
dropper=$!
trap 'kill $dropper 2>/dev/null; pl_cleanup' EXIT
for _ in $(seq 200); do [ -s "$PL_TMP/port" ] && break; sleep 0.05; done
[ -s "$PL_TMP/port" ] || fail "no dropping listener"
export XTRACE_SERVER=127.0.0.1:$(cat "$PL_TMP/port") XTRACE_DEBUG=1

# Ten processes on their own: each finds its connection still pending at
# exit and does not wait for it.
for _ in $(seq 10); do traced /bin/true 2>>"$PL_TMP/alone"; done
[ "$(grep -c 'exit: collector not reached, not waiting' "$PL_TMP/alone")" = 10 ] \
  || fail "a process did not skip the wait: $(cat "$PL_TMP/alone")"
grep -q 'waited' "$PL_TMP/alone" && fail "a process waited: $(cat "$PL_TMP/alone")"

# A shell that learns the collector unreachable (its connect times out),
# then runs ten children: they know it from the start and never try it.
traced bash -c 'until grep -q "^xtrace\[$$\]: collector .* unreachable" "$1"; do sleep 0.05; done
  for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; done' _ "$PL_TMP/err" 2>>"$PL_TMP/err"
[ "$(grep -c 'known unreachable' "$PL_TMP/err")" -ge 10 ] \
  || fail "children did not inherit the collector's state: $(cat "$PL_TMP/err")"
grep -q 'waited' "$PL_TMP/err" && fail "a process waited: $(cat "$PL_TMP/err")"
true
