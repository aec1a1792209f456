#!/usr/bin/env bash
# The budget per stream: a flood of lines gives the burst's worth of events
# and one marker event that counts the rest exactly; the output is intact.
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/logmix

# No refill (rate 0): exactly the burst, one marker per stream at exit.
XTRACE_LOG_RATE=0 XTRACE_LOG_BURST=50 traced "$p" flood 100000 200 2>"$PL_TMP/err"
[ "$(wc -l <"$PL_TMP/err")" = 100000 ] || fail "stderr lost lines"
r=$(reports "$(task_after_exit "$p flood 100000 200")")
jq -e '[.[] | select(.Agent == "stderr" and (.Label | startswith("flood ")))] | length == 50' \
  <<<"$r" >/dev/null || fail "stderr events: $(jq -c '[.[] | .Label] | .[0:80]' <<<"$r")"
jq -e '[.[] | select(.Agent == "syslog" and (.Label | startswith("slog ")))] | length == 50' \
  <<<"$r" >/dev/null || fail "syslog events"
m=$(jq -c '[.[] | select(.Tag | index("budget")) | [.Agent, .Label, .lines_dropped]]' <<<"$r")
want='[["stderr","99950 lines over budget not recorded","99950"],["syslog","150 lines over budget not recorded","150"]]'
[ "$(jq -c 'sort' <<<"$m")" = "$want" ] || fail "markers: $m"

# The defaults refill at 100 lines a second after a burst of 1000: every line
# is either an event or counted in a marker, and the events stay within what
# the budget can have given during the run.
start=$SECONDS
traced "$p" flood 100000 0 2>/dev/null
elapsed=$((SECONDS - start + 1))
r=$(reports "$(task_after_exit "$p flood 100000 0")")
events=$(jq '[.[] | select(.Agent == "stderr" and (.Label | startswith("flood ")))] | length' <<<"$r")
dropped=$(jq '[.[] | select(.Tag | index("budget")) | .lines_dropped | tonumber] | add // 0' <<<"$r")
[ $((events + dropped)) = 100000 ] || fail "$events events + $dropped dropped != 100000"
[ "$events" -le $((1000 + 100 * elapsed)) ] || fail "$events events in ${elapsed}s"
