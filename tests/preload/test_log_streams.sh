#!/usr/bin/env bash
# XTRACE_LOG_STREAMS: each stream is recorded exactly when listed; unset
# means stderr and syslog (stdout is a program's data unless asked for).
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/logmix
n=0
check() {
  local setting=$1 want=$2
  n=$((n + 1))
  if [ "$setting" = unset ]; then
    env -u XTRACE_LOG_STREAMS LD_PRELOAD="$PL_PRELOAD" "$p" streams "case$n" >/dev/null 2>&1
  else
    XTRACE_LOG_STREAMS=$setting traced "$p" streams "case$n" >/dev/null 2>&1
  fi
  local r got
  r=$(reports "$(task_after_exit "$p streams case$n")")
  got=$(jq -r '[.[] | select(.Agent == "stdout" or .Agent == "stderr" or .Agent == "syslog")
    | .Label] | sort | join(",")' <<<"$r")
  [ "$got" = "$want" ] || fail "XTRACE_LOG_STREAMS=$setting: got '$got', want '$want'"
}
check unset "err line,fd err,syslog line"
check stderr "err line,fd err"
check stdout "fd out,out line"
check syslog "syslog line"
check stderr,stdout,syslog "err line,fd err,fd out,out line,syslog line"
check "stdout, syslog" "fd out,out line,syslog line"
check "" ""
