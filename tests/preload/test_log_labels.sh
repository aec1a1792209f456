#!/usr/bin/env bash
# Labels lose a trailing \r (CRLF output); empty lines are not events.
. "$(dirname "$0")/lib.sh"
pl_start_server
export XTRACE_LOG_STREAMS=stderr,stdout
p=$XT_PROGS/logmix
traced "$p" crlf >/dev/null 2>&1
r=$(reports "$(task_after_exit "$p crlf")")
got=$(jq -c '[.[] | select(.Agent == "stdout" or .Agent == "stderr") | .Label]' <<<"$r")
[ "$got" = '["crlf line","plain","w crlf","w plain"]' ] || fail "labels: $got"
