#!/usr/bin/env bash
# XTRACE_SERVER in its [v6addr]:port form: a collector listening only on
# ::1 receives the program's events.
. "$(dirname "$0")/lib.sh"
# The kernel's list of IPv6 addresses (what `ip -6 addr` shows), read
# directly: ::1 on lo, or IPv6 is off on this machine.
if ! grep -qE '^0{31}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
  echo "SKIP: no IPv6 loopback (::1) on this machine" >&2
  exit 77
fi
st_start_server --reports-addr '[::1]:0'
case $XTRACE_SERVER in
\[::1\]:[0-9]*) ;;
*) fail "the collector did not listen on ::1: '$XTRACE_SERVER'" ;;
esac
traced "$XT_PROGS/tree" 2>"$PL_TMP/err" || fail "tree failed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_PROGS/tree")
must_match "$t" 'length == 6 and any(.[]; .Label == "exit 0")' "the events did not all arrive over IPv6"
