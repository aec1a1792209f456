#!/usr/bin/env bash
# C++ iostreams: a line built by several operator<< calls is one event.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
traced "$XT_PROGS/iostream" >/dev/null 2>&1
xt_wait_reports 6
r=$(reports "$(task_titled "$XT_PROGS/iostream")")
labels=$(jq -c '[.[] | select(.Agent == "stderr" or .Agent == "stdout") | [.Agent, .Label]]' <<<"$r")
want='[["stderr","answer 42 2.5"],["stderr","second line"],["stdout","out 1"],["stdout","out 2"]]'
[ "$labels" = "$want" ] || fail "got $labels, want $want"
