#!/usr/bin/env bash
# XTRACE_LOG_STREAMS: each stream is recorded exactly when listed. Unset, it
# is stderr,syslog,shared-stdout: stdout counts as a log only where it goes
# with stderr (2>&1, one file, one terminal), not to a file or pipe of its
# own, nor to /dev/null with stderr.
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/logmix
n=0
# check SETTING REDIRECTION WANT: SETTING "unset" leaves the variable out;
# REDIRECTION is "null" (both to /dev/null), "shared" (one file) or "apart".
check() {
  local setting=$1 redir=$2 want=$3
  n=$((n + 1))
  local -a cmd=(env -u XTRACE_LOG_STREAMS LD_PRELOAD="$PL_PRELOAD")
  [ "$setting" = unset ] || cmd+=(XTRACE_LOG_STREAMS="$setting")
  cmd+=("$p" streams "case$n")
  case $redir in
  null) "${cmd[@]}" >/dev/null 2>&1 ;;
  shared) "${cmd[@]}" >"$PL_TMP/both" 2>&1 ;;
  apart) "${cmd[@]}" >"$PL_TMP/out" 2>"$PL_TMP/err" ;;
  esac
  local r got
  r=$(reports "$(task_after_exit "$p streams case$n")")
  got=$(jq -r '[.[] | select(.Agent == "stdout" or .Agent == "stderr" or .Agent == "syslog")
    | .Label] | sort | join(",")' <<<"$r")
  [ "$got" = "$want" ] || fail "XTRACE_LOG_STREAMS=$setting ($redir): got '$got', want '$want'"
}
all="err line,fd err,fd out,out line,syslog line"
check unset apart "err line,fd err,syslog line"
check unset null "err line,fd err,syslog line"
check unset shared "$all"
check stderr shared "err line,fd err"
check stdout apart "fd out,out line"
check syslog shared "syslog line"
check shared-stdout shared "fd out,out line"
check shared-stdout apart ""
check stderr,syslog shared "err line,fd err,syslog line"
check stderr,stdout,syslog apart "$all"
check "stdout, syslog" null "fd out,out line,syslog line"
check "" shared ""

# fd 1 pointed elsewhere while running: a shell's `echo >&2` (dup2 of 2 onto
# 1) is a log line though the shell's stdout is a file of its own; sort -o,
# whose stdout starts out shared with stderr, moves its output file onto fd 1
# and its data is not recorded.
env -u XTRACE_LOG_STREAMS LD_PRELOAD="$PL_PRELOAD" sh -c 'echo shell-log >&2; echo shell-data' \
  >"$PL_TMP/out" 2>"$PL_TMP/err"
r=$(reports "$(task_after_exit "echo shell-log")")
got=$(jq -c '[.[] | select(.Agent == "stdout" or .Agent == "stderr") | .Label]' <<<"$r")
[ "$got" = '["shell-log"]' ] || fail "shell redirections: $got"
seq 1 5000 >"$PL_TMP/in"
env -u XTRACE_LOG_STREAMS LD_PRELOAD="$PL_PRELOAD" sort -o "$PL_TMP/sorted" "$PL_TMP/in" >"$PL_TMP/both" 2>&1
r=$(reports "$(task_after_exit "sort -o")")
got=$(jq '[.[] | select(.Agent == "stdout")] | length' <<<"$r")
[ "$got" = 0 ] || fail "sort -o recorded $got stdout lines"
