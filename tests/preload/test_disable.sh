#!/usr/bin/env bash
# XTRACE_DISABLE=1: nothing reaches the collector, output unchanged.
# A traced run before the disabled one proves the collector is listening; a
# traced run after it is the marker: once the marker's exit is stored, what a
# disabled run had sent on its own way out (it exited before the marker
# started) would be stored too, so its absence then means nothing was sent.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
tree=$XT_PROGS/tree

"$tree" disabled 2>"$PL_TMP/err0"

traced "$tree" before 2>/dev/null
before=$(wait_task_titled "$tree before" "$(all_exited 1)")

XTRACE_DISABLE=1 traced "$tree" disabled 2>"$PL_TMP/err1"
[ "$(sort "$PL_TMP/err0")" = "$(sort "$PL_TMP/err1")" ] || fail "output differs"

traced "$tree" after 2>/dev/null
after=$(wait_task_titled "$tree after" "$(all_exited 1)")

titles=$(xt_tasks_json "limit=1000" | jq -r '[.[].title] | sort | join("\n")')
[ "$titles" = "$(printf '%s\n' "$tree after" "$tree before" | sort)" ] ||
  fail "the disabled run reported; tasks: $titles"
want=$(( $(reports "$before" | jq length) + $(reports "$after" | jq length) ))
# The counter moves just after the commit that made the reports readable.
xt_wait_reports "$want"
n=$(xt_stats_json | jq '.stored')
[ "$n" = "$want" ] || fail "$n reports stored, the two traced runs made $want"
