#!/usr/bin/env bash
# XTRACE_LOG_LEVEL's other documented forms: a digit 0-7 and the aliases
# error and warn. syslogger logs one LOG_DEBUG and one LOG_ERR message; each
# run's task is checked once its exit event is in.
. "$(dirname "$0")/lib.sh"
st_start_server
prog=$XT_PROGS/syslogger
# level  debug recorded  err recorded
for c in "3 false true" "error false true" "warn false true" "2 false false" "7 true true"; do
  read -r level debug err <<<"$c"
  XTRACE_LOG_LEVEL=$level traced "$prog" 2>/dev/null || fail "syslogger failed at $level"
  t=$(wait_new_task_titled "$prog")
  ST_SEEN+=("$t")
  must_match "$t" 'any(.[]; .Label == "exit 0")' "no exit event at XTRACE_LOG_LEVEL=$level"
  reports "$t" | jq -e --argjson d "$debug" --argjson e "$err" \
    '(any(.[]; .Label | contains("debug detail")) == $d) and (any(.[]; .Label == "something failed: disk") == $e)' \
    >/dev/null || fail "XTRACE_LOG_LEVEL=$level: expected debug $debug, err $err: $(reports "$t" | jq -c 'map(.Label)')"
done
