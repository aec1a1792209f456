#!/usr/bin/env bash
# The reporter's socket stays out of the low descriptor numbers programs
# count on (a daemon that closes 0-2 and opens /dev/null expects 0, 1 and 2
# back; a shell closes 1 and dups 2 onto it for >&2): a traced shell that
# closed its stdin still has 0 free once the reporter is connected, and the
# socket sits at min(RLIMIT_NOFILE, 1024) - 64 or above, as the README says,
# under the inherited limit and under a lower one.
. "$(dirname "$0")/lib.sh"
pl_start_server

check() { # soft RLIMIT_NOFILE for the traced shell, or "" to inherit it
  local limit=${1:-$(ulimit -Sn)} floor
  [ "$limit" = unlimited ] && limit=1024
  floor=$(( (limit < 1024 ? limit : 1024) - 64 ))
  (
    ulimit -Sn "$limit"
    traced sh -c '
      exec 0<&-
      echo closed-stdin >&2
      for _ in $(seq 300); do
        ls -l /proc/$$/fd | grep -q "socket:" && break
        sleep 0.1
      done
      ls -l /proc/$$/fd
    '
  ) >"$PL_TMP/out" 2>"$PL_TMP/err" || fail "the shell failed: $(cat "$PL_TMP/err")"
  grep -q "socket:" "$PL_TMP/out" || fail "the reporter never connected: $(cat "$PL_TMP/out")"
  low=$(awk -v floor="$floor" '$NF ~ /^socket:/ && $(NF - 2) + 0 < floor { print $(NF - 2) }' "$PL_TMP/out")
  [ -z "$low" ] || fail "limit $limit: a socket on descriptor $low, below $floor: $(cat "$PL_TMP/out")"
  zero=$(awk '$(NF - 2) == "0" && $(NF - 1) == "->"' "$PL_TMP/out")
  [ -z "$zero" ] || fail "descriptor 0 was taken: $zero"
  grep -qx closed-stdin "$PL_TMP/err" || fail "the shell's stderr: $(cat "$PL_TMP/err")"
}
check ""
check 256
