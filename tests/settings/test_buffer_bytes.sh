#!/usr/bin/env bash
# XTRACE_BUFFER_BYTES bounds what a process buffers: with the collector held
# back by a shut gate, a burst larger than the bound drops events, counts
# them, and reports the count (a report tagged "dropped"; XTRACE_DEBUG=1
# prints the total at exit). Every event is either stored or counted. At the
# default bound the same burst fits (about 1.5 MB of events against 2 MiB
# of buffer plus the send buffer), so nothing would be dropped.
. "$(dirname "$0")/lib.sh"
# The burst is larger than the default log-line budget: the budget is set to
# hold it, so that only the setting under test can lose events.
st_start_server
gate_start gate
# The smallest bound the library honours whole: the send and scratch
# buffers (704 KiB) plus a 64 KiB event ring.
bound=$(((704 + 64) * 1024))
n=4000
mkfifo "$PL_TMP/prog.in"
XTRACE_SERVER=$GATE_ADDR XTRACE_BUFFER_BYTES=$bound XTRACE_DEBUG=1 XTRACE_LOG_BURST=$n \
  traced "$XT_SET_PROGS/burst" $n 300 wait <"$PL_TMP/prog.in" 3>"$PL_TMP/ready" 2>"$PL_TMP/err" &
prog=$!
ST_PIDS+=($prog)
exec {prog_in}>"$PL_TMP/prog.in"
wait_line "$PL_TMP/ready" ready || fail "burst did not finish its burst"
gate_open
t=$(wait_task_titled "$XT_SET_PROGS/burst $n 300 wait")
must_match "$t" 'any(.[]; .Tag | index("dropped"))' "no report of dropped events"
echo go >&"$prog_in"
wait "$prog" || fail "burst failed: $(grep -v '^burst ' "$PL_TMP/err")"
must_match "$t" 'any(.[]; .Label == "exit 0")' "no exit event"
dropped=$(sed -n 's/^xtrace\[[0-9]*\]: \([0-9]*\) events dropped$/\1/p' "$PL_TMP/err")
[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "no drop count at exit: $(grep -v '^burst ' "$PL_TMP/err")"
r=$(reports "$t")
stored=$(jq '[.[] | select(.Tag | index("dropped") | not)] | length' <<<"$r")
lines=$(jq '[.[] | select(.Label | startswith("burst "))] | map(.Label) | unique | length' <<<"$r")
[ "$lines" = "$(jq '[.[] | select(.Label | startswith("burst "))] | length' <<<"$r")" ] ||
  fail "a burst line was stored twice"
# start + n lines + "resumed" + exit
[ $((stored + dropped)) = $((n + 3)) ] ||
  fail "$stored stored + $dropped dropped != $((n + 3)) events emitted"
reported=$(jq '[.[] | select(.Tag | index("dropped")) | .dropped | tonumber] | add' <<<"$r")
[ "$reported" -ge 1 ] && [ "$reported" -le "$dropped" ] ||
  fail "drop reports count $reported, the process $dropped"
