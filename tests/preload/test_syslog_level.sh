#!/usr/bin/env bash
# XTRACE_LOG_LEVEL=warning: the LOG_ERR message is an event, LOG_DEBUG is not.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_LOG_LEVEL=warning traced "$XT_PROGS/syslogger"
xt_wait_reports 3
r=$(reports "$(task_titled "$XT_PROGS/syslogger")")
jq -e '[.[] | select(.Agent == "syslog")] | length == 1 and .[0].Label == "something failed: disk"
  and .[0].priority == "err"' <<<"$r" >/dev/null || fail "syslog events wrong: $r"
jq -e 'all(.Label | contains("debug detail") | not)' <<<"$r" >/dev/null || fail "debug message reported"
