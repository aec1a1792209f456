#!/usr/bin/env bash
# A traced server whose every call is dequeued and answered by a thread of
# its own that then exits, as grpc++'s sync server and gRPC's own pools do
# when load changes: what the shim keeps per thread must go with the
# thread. The server reports malloc's bytes in use after each call; over a
# thousand calls their floor must stay flat (a thread's decoding space alone
# is 9 KiB; losing it per call would be 9 MB here). The floor, the least of a
# hundred consecutive readings, leaves out what gRPC holds only for a while
# (buffers of calls still being torn down, timers), which varies with the
# machine's speed; a leak raises every reading after it, floor included.
. "$(dirname "$0")/lib.sh"
start_collector
start_server peer 1 "$MDPEER" serve --thread-per-call
traced "$ARITH" --in 1 --next-server ":$PORT" --threads 1 --count 1200 >"$T/client.out" 2>"$T/client.err" ||
  fail "client failed"
for _ in $(seq 100); do
  [ "$(grep -c '^heap ' "$T/peer.out")" -ge 1200 ] && break
  sleep 0.1
done
[ "$(grep -c '^heap ' "$T/peer.out")" -ge 1200 ] || fail "the server answered $(grep -c '^heap ' "$T/peer.out") calls, not 1200"
# From calls 200-299 (gRPC's own caches warm by then) to calls 1100-1199.
read -r first last < <(awk '/^heap / { n++
    if (n >= 200 && n < 300 && (f == "" || $2 < f)) f = $2
    if (n >= 1100 && n < 1200 && (l == "" || $2 < l)) l = $2 }
  END { print f, l }' "$T/peer.out")
growth=$(( (last - first) / 900 ))
echo "heap floor: $first -> $last bytes over 900 calls ($growth bytes per call)"
[ "$growth" -lt 1024 ] || fail "the server's heap grows by $growth bytes per call with a thread per call"
