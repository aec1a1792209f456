#!/usr/bin/env bash
# The reporter's sockets are opened by the application's own threads, inside
# a hook: a socket made on the reporter thread could take, for a moment, a
# number the application has just closed to dup another file onto (a shell's
# `>&2` closes 1 and dups 2 onto it), and the shell's dup2 then fails with
# EBUSY or its output goes astray. With the collector refusing, the reporter
# tries again and again; every socket(AF_INET) of the process must be made
# by the program's main thread, the one that logs.
. "$(dirname "$0")/lib.sh"
. "$XT_TOP/tests/lib/port.sh"
command -v strace >/dev/null || fail "strace is missing (scripts/setup installs it)"
xt_closed_port || fail "no port"
XTRACE_SERVER=127.0.0.1:$CLOSED_PORT strace -f -qq -e trace=socket -o "$PL_TMP/trace" \
  -E LD_PRELOAD="$XT_PRELOAD_LIB" "$XT_PROGS/quietlog" 2>"$PL_TMP/err" ||
  fail "quietlog failed: $(cat "$PL_TMP/err")"
[ "$(grep -c '^line ' "$PL_TMP/err")" = 40 ] || fail "output: $(cat "$PL_TMP/err")"
# strace -f starts each line with the thread's ID; the main thread's equals
# the process ID, which strace reports as the first line's.
main=$(awk 'NR == 1 { print $1 }' "$PL_TMP/trace")
inet=$(grep 'socket(AF_INET' "$PL_TMP/trace") || fail "no socket was opened: $(cat "$PL_TMP/trace")"
mine=$(awk -v m="$main" '$1 == m' <<<"$inet" | wc -l)
# The first attempt and at least one of the reporter's retries.
[ "$mine" -ge 2 ] || fail "the main thread opened $mine socket(s): $inet"
others=$(awk -v m="$main" '$1 != m' <<<"$inet")
[ -z "$others" ] || fail "sockets opened off the main thread: $others"
